"""Settled periods: close a workshop's week or month, freeze every card, pay from it, and
book late data as adjustments in the open period instead of rewriting a closed one."""
