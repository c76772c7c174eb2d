"""The HR export is written batch by batch and lists what the dashboard would, in its order."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.hr import export, services
from tests.hr_fixtures import course, org, other_org  # noqa: F401  (fixtures)
from tests.test_hr_dashboard import people, started  # noqa: F401  (fixtures)

NOW = datetime.now(UTC)
QUERIES = [
    services.DashboardQuery(),
    services.DashboardQuery(descending=True),
    services.DashboardQuery(status="certified"),
    services.DashboardQuery(q="HAL"),
    services.DashboardQuery(status="not-enrolled"),
    services.DashboardQuery(sort="progress", descending=True),
    services.DashboardQuery(sort="expiry"),
]


def exported(db, org, query) -> list[list[str]]:
    text = "".join(export.export_lines(db.session, org, NOW, query))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def in_memory(db, org, query) -> list[list[str]]:
    rows = services.select_rows(services.organisation_rows(db.session, org, NOW), query)
    return [list(services.EXPORT_HEADER)] + [
        [services_cell for services_cell in map(_cell, services.export_cells(row))]
        for row in rows]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: repr(query)[14:60])
def test_batches_of_two_list_what_the_dashboard_lists_in_its_order(
        db, org, people, monkeypatch, query):
    monkeypatch.setattr(export, "BATCH", 2)
    assert exported(db, org, query) == in_memory(db, org, query)


def test_learners_with_the_same_name_are_neither_lost_nor_repeated_across_batches(
        db, make_user, org, course, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 3)
    twins = [make_user(name="Sam Same", org=org, email=f"sam{n}@acme.example") for n in range(7)]
    for twin in twins[:3]:
        started(db, twin, course, 1)
    emails = [row[1] for row in exported(db, org, services.DashboardQuery())[1:]]
    assert sorted(emails) == sorted(twin.email for twin in twins)
    assert len(set(emails)) == 7


def test_an_organisation_exports_only_its_own_people(db, org, other_org, people, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 1)
    names = [row[0] for row in exported(db, other_org, services.DashboardQuery())[1:]]
    assert names == ["Olga Outsider"]


def test_the_download_is_streamed(client, login_as, org, people, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)
    login_as("hr", org=org)
    response = client.get("/hr/export.csv")
    assert response.is_streamed and response.headers["Cache-Control"] == "no-store"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        "'=Ivy Idle", "Ada Certified", "Eve Expiring", "Hal Halfway"]


def test_the_lines_are_written_after_the_request_has_let_go_of_its_objects(db, org, people):
    lines = export.export_lines(db.session, org, NOW, services.DashboardQuery())
    db.session.commit()
    db.session.remove()  # as at the end of the request, before the body is written
    names = [row[0] for row in csv.reader(io.StringIO("".join(lines)[1:]))][1:]
    assert names == ["'=Ivy Idle", "Ada Certified", "Eve Expiring", "Hal Halfway"]


def test_a_batch_lets_go_of_the_certificates_it_read(db, org, people, monkeypatch):
    from app.models import Certificate

    monkeypatch.setattr(export, "BATCH", 1)
    for made in [item for item in db.session.identity_map.values()
                 if isinstance(item, Certificate)]:
        db.session.expunge(made)  # the fixtures' certificates are not held before the export
    lines = export.export_lines(db.session, org, NOW, services.DashboardQuery())
    held = []
    for _ in lines:
        held.append(sum(isinstance(item, Certificate) for item in db.session.identity_map.values()))
    assert max(held) == 0 and len(held) == 5  # the header and four learners
