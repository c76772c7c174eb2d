"""HR: the organisation's people, their progress and certificates.

Views live in `routes` (its blueprint) and in modules that add views to it; importing the
package registers those too.
"""
from app.hr import quiz_stats_routes  # noqa: F401  (HR's quiz statistics join the blueprint)
