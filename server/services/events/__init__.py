"""Events from kiosks: what kinds exist, how a batch is ingested, and what each event changes."""
