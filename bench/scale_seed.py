"""Seeding a scale database set-wise (INSERT ... SELECT over generate_series, no ORM loops).

`learners` learners, every one enrolled in OKR for Executives with `LESSONS_PER_LEARNER` lessons
done; one in `CERTIFIED_EVERY` holds a certificate and passed every quiz. The first
`ORG_MEMBERS` learners belong to the HR user's organisation, the next `SMALL_ORG` to a small
one (the export's memory is compared between the two), the rest to twenty others.

Certificates are inserted with a placeholder PDF and an unsigned payload of the real size: the
pages timed never read them. The certificate the verification API is timed with is issued for
real (signed payload, rendered and signed PDF).
"""
from __future__ import annotations

import time

from sqlalchemy import insert, select, text

ORG_MEMBERS = 5_000
SMALL_ORG = 50
LESSONS_PER_LEARNER = 20
CERTIFIED_EVERY = 5
OTHER_ORGS = 20
#: what stands for the PDF of the certificates no benchmark opens (TOAST keeps PDFs out of the
#: table's pages, so their size does not change how the timed queries run)
PLACEHOLDER_PDF = b"%PDF-1.7 placeholder"


def seed(app, learners: int) -> dict:
    """Fill the app's (empty, migrated) database; return the ids and codes the timing needs and
    how long each step took."""
    from app.auth import services as accounts
    from app.courses.services import find_course
    from app.extensions import db

    steps: dict[str, float] = {}
    with app.app_context():
        session = db.session
        course = find_course(session, "okr-executive")
        version = course.current_version
        org = accounts.create_organisation(session, "Bench Org", slug="bench-org")
        small = accounts.create_organisation(session, "Small Org", slug="small-org")
        others = [accounts.create_organisation(session, f"Other {i}", slug=f"other-{i}")
                  for i in range(OTHER_ORGS)]
        session.flush()
        names = {"org": org.id, "small": small.id, "first_other": others[0].id,
                 "course": course.id, "version": version.id, "n": learners,
                 "members": ORG_MEMBERS, "small_end": ORG_MEMBERS + SMALL_ORG,
                 "every": CERTIFIED_EVERY, "per": LESSONS_PER_LEARNER,
                 "title": version.title, "slug": course.slug, "number": version.number,
                 "others": OTHER_ORGS, "pdf": PLACEHOLDER_PDF,
                 "hash": _password_hash(session)}
        session.execute(text("SET LOCAL session_replication_role = replica"))  # no FK triggers
        for step, statements in _STEPS:
            started = time.perf_counter()
            for statement in statements:
                session.execute(text(statement), names)
            steps[step] = time.perf_counter() - started
        session.commit()
        started = time.perf_counter()
        holder = session.scalar(text(
            "SELECT min(id) FROM users WHERE email = 'scale1@bench.example'"))
        code = _issue_real_certificate(app, session, holder, course)
        hr = accounts.create_user(session, email="hr@bench.example", name="Bench HR",
                                  password="Quarterly-Review-77", roles=("hr",), organisation=org,
                                  policy=accounts.PasswordPolicy(10, 1, 1024))
        small_hr = accounts.create_user(session, email="hr-small@bench.example",
                                        name="Small HR", password="Quarterly-Review-77",
                                        roles=("hr",), organisation=small,
                                        policy=accounts.PasswordPolicy(10, 1, 1024))
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        steps["real certificate, HR users, ANALYZE"] = time.perf_counter() - started
        counts = {name: session.scalar(text(f"SELECT count(*) FROM {table}")) for name, table in
                  (("users", "users"), ("certificates", "certificates"),
                   ("progress", "lesson_progress"), ("attempts", "quiz_attempts"))}
        return {"learner": holder, "hr": hr.id, "small_hr": small_hr.id, "code": code,
                "counts": counts, "steps": steps}


_USERS = """
INSERT INTO users (email, name, password_hash, organisation_id, is_active_account, created_at,
                   email_verified_at, mail_reminders, mail_nudges, mail_digests)
SELECT 'scale' || g || '@bench.example', 'Scale Learner ' || g, :hash,
       CASE WHEN g <= :members THEN :org WHEN g <= :small_end THEN :small
            ELSE :first_other + (g % :others) END,
       true, TIMESTAMPTZ '2026-01-05 09:00+00', TIMESTAMPTZ '2026-01-05 09:00+00',
       true, true, true
FROM generate_series(1, :n) AS g"""

_ENROLMENTS = """
INSERT INTO enrollments (user_id, course_id, enrolled_at, last_module_slug, last_lesson_slug,
                         last_viewed_at)
SELECT id, :course, TIMESTAMPTZ '2026-01-06 09:00+00', NULL, NULL,
       TIMESTAMPTZ '2026-05-01 09:00+00' + (id % 1000) * INTERVAL '1 hour'
FROM users WHERE email LIKE 'scale%@bench.example'"""

_PROGRESS = """
INSERT INTO lesson_progress (user_id, course_id, module_slug, lesson_slug, completed_at)
SELECT u.id, :course, l.module_slug, l.slug, TIMESTAMPTZ '2026-02-01 09:00+00'
FROM users u CROSS JOIN (SELECT module_slug, slug FROM version_lessons WHERE version_id = :version
                         ORDER BY module_position, position LIMIT :per) l
WHERE u.email LIKE 'scale%@bench.example'"""

_HOLDERS = "SELECT id, name FROM users WHERE email LIKE 'scale%@bench.example' " \
           "AND split_part(substr(email, 6), '@', 1)::int % :every = 1"

_ATTEMPTS = f"""
INSERT INTO quiz_attempts (user_id, course_id, version_id, quiz_key, number, snapshot, answers,
                           status, started_at, submitted_at, score, passed, late)
SELECT h.id, :course, :version, k.quiz_key, 1, '{{}}'::json, '{{}}'::json, 'submitted',
       TIMESTAMPTZ '2026-03-01 09:00+00', TIMESTAMPTZ '2026-03-01 09:30+00', 90.0, true, false
FROM ({_HOLDERS}) h
CROSS JOIN (SELECT slug AS quiz_key FROM version_modules WHERE version_id = :version
            AND quiz IS NOT NULL AND quiz::text != 'null' UNION ALL SELECT 'final-exam') k"""

_CERTIFICATES = f"""
INSERT INTO certificates (code, user_id, course_id, version_id, holder_name, course_title,
                          course_slug, version_number, capstone_assessed, issued_at, expires_at,
                          status, key_id, payload, signature, pdf, pdf_sha256, status_list_index)
SELECT 'SCALE-' || lpad(h.id::text, 9, '0'), h.id, :course, :version, h.name,
       CAST(:title AS text), CAST(:slug AS text), CAST(:number AS integer), true, TIMESTAMPTZ '2026-04-01 09:00+00', TIMESTAMPTZ '2028-04-01 09:00+00',
       'active', 'scale-key',
       json_build_object('code', 'SCALE-' || lpad(h.id::text, 9, '0'),
                         'course_slug', CAST(:slug AS text), 'course_title', CAST(:title AS text),
                         'course_version', CAST(:number AS integer),
                         'expires_on', '2028-04-01', 'holder_name', h.name,
                         'issued_on', '2026-04-01', 'issuer', 'http://127.0.0.1',
                         'capstone_assessed', true)::text,
       repeat('A', 86), :pdf, md5(h.id::text) || md5(h.name), 1000 + row_number() OVER ()
FROM ({_HOLDERS}) h WHERE h.name != 'Scale Learner 1'"""

def _without_indexes(table: str) -> str:
    """SQL: drop the table's indexes, primary and unique keys, keeping their definitions in
    temporary tables for `_rebuilt`: a large table is filled faster, and each index then built
    in one pass."""
    return f"""
DO $$
DECLARE item record;
BEGIN
  CREATE TEMP TABLE {table}_index_defs ON COMMIT DROP AS
    SELECT indexname, indexdef FROM pg_indexes
    WHERE tablename = '{table}' AND indexname NOT IN (
      SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass);
  CREATE TEMP TABLE {table}_constraint_defs ON COMMIT DROP AS
    SELECT conname, pg_get_constraintdef(oid) AS condef FROM pg_constraint
    WHERE conrelid = '{table}'::regclass AND contype IN ('p', 'u');
  FOR item IN SELECT * FROM {table}_index_defs LOOP
    EXECUTE format('DROP INDEX %I', item.indexname);
  END LOOP;
  FOR item IN SELECT * FROM {table}_constraint_defs LOOP
    EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', item.conname);
  END LOOP;
END $$"""


def _rebuilt(table: str) -> str:
    return f"""
DO $$
DECLARE item record;
BEGIN
  SET LOCAL maintenance_work_mem = '1GB';
  FOR item IN SELECT * FROM {table}_constraint_defs LOOP
    EXECUTE format('ALTER TABLE {table} ADD CONSTRAINT %I %s', item.conname, item.condef);
  END LOOP;
  FOR item IN SELECT * FROM {table}_index_defs LOOP
    EXECUTE item.indexdef;
  END LOOP;
END $$"""


_STEPS = (
    ("learners", (_USERS,)),
    ("enrolments", (_ENROLMENTS,)),
    ("progress rows", (_without_indexes("lesson_progress"), _PROGRESS)),
    ("progress indexes", (_rebuilt("lesson_progress"),)),
    ("quiz attempts", (_without_indexes("quiz_attempts"), _ATTEMPTS,
                       _rebuilt("quiz_attempts"))),
    ("certificates", (_CERTIFICATES,)),
)


def _password_hash(session) -> str:
    from app.auth.passwords import hash_password, hasher

    return hash_password("Bench-Password-1", hasher(1, 1024))


def _issue_real_certificate(app, session, user_id: int, course) -> str:
    """The measured learner's certificate, as issuance stores it: signed payload, real PDF."""
    from app.certificates.codes import new_code
    from app.certificates.extension import issuer_for
    from app.certificates.pdf import sample_facts
    from app.certificates.signing import canonical_payload
    from app.models import Certificate, User
    from bench.seed import NOW

    issuer = issuer_for(app)
    version = course.current_version
    name = session.scalar(select(User.name).where(User.id == user_id))
    code = new_code()
    payload = canonical_payload({
        "code": code, "holder_name": name, "course_title": version.title,
        "course_slug": course.slug, "course_version": version.number,
        "issued_on": NOW.date(), "expires_on": NOW.date().replace(year=NOW.year + 2),
        "issuer": issuer.url})
    kid, signature = issuer.keyring.sign(payload)
    session.execute(insert(Certificate), [{
        "code": code, "user_id": user_id, "course_id": course.id, "version_id": version.id,
        "holder_name": name, "course_title": version.title, "course_slug": course.slug,
        "version_number": version.number, "issued_at": NOW,
        "expires_at": NOW.replace(year=NOW.year + 2), "status": "active", "key_id": kid,
        "payload": payload.decode(), "signature": signature,
        "pdf": issuer.render_and_sign(sample_facts()), "pdf_sha256": "0" * 64}])
    return code
