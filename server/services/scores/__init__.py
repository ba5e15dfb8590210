"""Scores: scorecards, the engine's inputs, standings, schemes and what a kiosk may read."""
