"""Background threads: the round runner, the outbox sync and video downloads."""
