"""People: workers, their badges, and the web users of the admin."""
