"""Points: categories, workers' claims and appeals."""
