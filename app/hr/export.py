"""The dashboard's CSV export, written while it is read.

In name order (the dashboard's default) the export is built a batch of learners at a time, so
an organisation of any size costs the memory of one batch and the first bytes leave at once.
The dashboard's other orders need every row before the first one is known: they are sorted
whole, as the dashboard itself does.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, scoped_session

from app.hr import services
from app.models import Certificate, Organisation, User
from app.verify.spreadsheets import safe_cell

#: learners read, turned into rows and written per batch: about 1.5 MiB of rows and their
#: source rows, in 8 queries
BATCH = 100
#: the order of names that every database and Python agree on: code points, case folded
_BYTE_ORDER = {"postgresql": "C", "sqlite": "BINARY"}


def export_lines(session: Session | scoped_session, org: Organisation, now: datetime,
                 query: services.DashboardQuery) -> Iterator[str]:
    """The export, a batch of CSV lines at a time (a byte order mark first, for Excel).

    The lines are written after the request has answered, when its session may be gone: the
    organisation is read again, by id, in the session current then."""
    org_id = org.id

    def lines() -> Iterator[str]:
        yield "\ufeff" + _csv_lines([services.EXPORT_HEADER])
        organisation = session.get(Organisation, org_id)
        for rows in _row_batches(session, organisation, now, query):
            yield _csv_lines([services.export_cells(row) for row in rows])

    return lines()


def _row_batches(session: Session, org: Organisation, now: datetime,
                 query: services.DashboardQuery) -> Iterator[list[services.DashboardRow]]:
    if query.sort != "name":
        yield services.select_rows(services.organisation_rows(session, org, now), query)
        return
    for learner_ids in _learner_batches(session, org, descending=query.descending):
        position = {learner: index for index, learner in enumerate(learner_ids)}
        held_before = set(session.identity_map.keys())
        rows = services.filter_rows(
            services.organisation_rows(session, org, now, learner_ids=learner_ids), query)
        rows.sort(key=lambda row: row.course_title or "", reverse=query.descending)
        rows.sort(key=lambda row: position[row.learner_id])
        _let_go_of_certificates(session, held_before)
        if rows:
            yield rows


def _let_go_of_certificates(session: Session | scoped_session, held_before: set) -> None:
    """The rows hold plain values: the certificates a batch loaded leave the session, which
    would otherwise keep every one of them until the export ends (what the session held before
    the batch stays)."""
    loaded = [item for key, item in session.identity_map.items()
              if key not in held_before and isinstance(item, Certificate)]
    for certificate in loaded:
        session.expunge(certificate)


def _learner_batches(session: Session, org: Organisation, *,
                     descending: bool) -> Iterator[Sequence[int]]:
    """The organisation's member ids by name, BATCH at a time (keyset paging: no OFFSET)."""
    collation = _BYTE_ORDER.get(session.get_bind().dialect.name)
    name = func.lower(User.name)
    if collation:
        name = name.collate(collation)
    key = tuple_(name, User.id)
    stmt = select(name, User.id).where(User.organisation_id == org.id) \
        .order_by(*(column.desc() if descending else column for column in (name, User.id))) \
        .limit(BATCH)
    after = None
    while True:
        page = stmt if after is None else stmt.where(key < after if descending else key > after)
        found = session.execute(page).all()
        if not found:
            return
        yield [learner_id for _, learner_id in found]
        after = tuple_(*found[-1])
        if len(found) < BATCH:
            return


def _csv_lines(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
