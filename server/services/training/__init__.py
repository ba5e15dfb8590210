"""Training: videos, their probe on upload, and quizzes."""
