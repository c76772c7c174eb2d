"""Data rights: a learner's copy of everything we hold, and erasure."""
