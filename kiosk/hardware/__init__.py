"""Device adapters: each a small Protocol plus one real adapter that posts pygame events."""
