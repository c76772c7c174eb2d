"""HR's periodic jobs: the weekly digest."""
from __future__ import annotations
