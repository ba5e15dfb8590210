"""Helpers shared by tests: a real server process and a real headless Chromium."""
