"""Points: categories, workers' claims and appeals, and the notices of their decisions."""
