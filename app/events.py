"""Domain events: what happened, announced to whoever reacts to it.

Areas depend on each other in one direction only (see the README's layout section):
``models`` <- ``courses`` <- ``quizzes`` <- ``certificates`` <- ``verify`` <- ``hr``,
``authoring``, ``admin``, with ``auth`` beside them. A lower area never calls up into a higher
one. When something it did calls for a reaction elsewhere (a passed exam earns a certificate, an
issued certificate is mailed), it sends one of the signals below and the higher area listens.

Rules every signal follows:

- Senders are services. They send *after* the change is flushed, inside the caller's
  transaction, with keyword arguments only; the sender (first argument) is always ``None``.
- Every signal carries ``session`` (the SQLAlchemy session of the unit of work) and ``now`` (the
  moment of the change), so a receiver writes in the same transaction and uses the same clock.
  Whatever a receiver writes is committed or rolled back with the change that caused it: a
  reaction that must survive a rollback (a mail) writes an outbox row, and a job delivers it.
- A receiver may raise only when the change itself must fail; a receiver whose work may fail
  without undoing the change catches its own errors (see certificate issuance).
- Receivers are connected in one place, :func:`app.receivers.connect_receivers`, which the
  application factory calls. A new reaction (a mail, a webhook, an audit entry) is a function in
  the area that owns it, connected there.

The signals and their arguments (besides ``session`` and ``now``):

``final_exam_passed``
    ``attempt`` (the graded ``QuizAttempt``). Sent by quiz grading when an attempt at a course's
    final exam closes passed. Certificate issuance listens; its return value (the certificate,
    or None) reaches the caller of grading. Webhooks listen too: when the course's rule now
    holds, the learner completed the course (`learner.completed`; a scored capstone likewise).
``capstone_submitted``
    ``submission`` (a ``CapstoneSubmission``). Sent when a learner hands in capstone work.
``capstone_graded``
    ``submission``, ``actor`` (the trainer). Sent when a trainer scores a submission; when it
    passed, certificate issuance listens, as it does for a passed exam.
``certificate_issued``
    ``certificate``, ``previous`` (the certificate it renews, or None), ``actor`` (None when
    earned). Sent by issuance and renewal.
``certificate_revoked`` / ``certificate_suspended`` / ``certificate_reinstated``
    ``certificate``, ``actor``, ``reason``. Sent by the status changes of certificates
    (reinstated: a suspension lifted).
``certificate_expiring``
    ``certificate``, ``days_left``. Sent by ``flask certificates expiring`` for each active
    certificate inside the given number of days before its expiry.
``course_published``
    ``course``, ``version``, ``actor`` (None for the importer). Sent when a new version of a
    course becomes current, by the importer or the studio.
``user_registered``
    ``user``. Sent when an account is created (registration, an admin, the command line).
``password_changed``
    ``user``. Sent when a user's password changes.
``user_deactivated``
    ``user``, ``actor``. Sent when an administrator deactivates an account, or the
    organisation's directory does through SCIM (``actor`` None).
``password_reset_requested``
    ``user``. Sent when someone asks for a password reset link for an active account.
``email_change_requested``
    ``user``, ``new_email``. Sent when a user asks to change the account's address; the change
    waits until the new address is confirmed.
``email_verified``
    ``user``. Sent when a user proves the account's address is theirs (or an email change is
    confirmed). Certificates held back for an unverified address are issued then.
``registration_repeated``
    ``user``. Sent when someone registers with the address of an existing account: its owner
    is told, the person registering is not.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

final_exam_passed = _signals.signal("final-exam-passed")
certificate_issued = _signals.signal("certificate-issued")
certificate_revoked = _signals.signal("certificate-revoked")
certificate_suspended = _signals.signal("certificate-suspended")
certificate_reinstated = _signals.signal("certificate-reinstated")
certificate_expiring = _signals.signal("certificate-expiring")
course_published = _signals.signal("course-published")
user_registered = _signals.signal("user-registered")
password_changed = _signals.signal("password-changed")
user_deactivated = _signals.signal("user-deactivated")
password_reset_requested = _signals.signal("password-reset-requested")
email_change_requested = _signals.signal("email-change-requested")
email_verified = _signals.signal("email-verified")
registration_repeated = _signals.signal("registration-repeated")
capstone_submitted = _signals.signal("capstone-submitted")
capstone_graded = _signals.signal("capstone-graded")

ALL = (final_exam_passed, certificate_issued, certificate_revoked, certificate_suspended,
       certificate_reinstated, certificate_expiring, course_published, user_registered,
       password_changed, user_deactivated, password_reset_requested, email_change_requested,
       email_verified, registration_repeated, capstone_submitted, capstone_graded)
