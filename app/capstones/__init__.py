"""Capstones: learners hand in their own work; trainers score it against the course's rubric."""
