"""HR's periodic jobs: the weekly digest."""
from __future__ import annotations

import logging

from app.clock import utcnow
from app.extensions import db
from app.hr.digest import send_weekly_digests
from app.jobs import jobs

log = logging.getLogger(__name__)


@jobs.periodic("hr.weekly_digest", minute="0", hour="7", day_of_week="1")
def weekly_digest() -> None:
    """Mondays at 07:00 UTC: each organisation's week, mailed to its HR people (once a week)."""
    run = send_weekly_digests(db.session, utcnow())
    log.info("Weekly digest: %s organisation(s), %s mail(s)", run.organisations, run.mails)
