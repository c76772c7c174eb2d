"""The audit log's sentences in the reader's language.

An audit entry keeps its action, its target, its details and an English summary written when it
happened. The log words each entry at display time from its action: the values come from its
details, else from its stored summary (every entry written so far follows the pattern of its
action). An action the mapping does not know, or an entry that lacks a value its sentence needs,
shows the stored summary as it is.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from app.admin.forms import ROLE_LABELS
from app.models import AuditEvent

Sentence = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Wording:
    """How one action reads: a sentence of named values, and the pattern of its stored summary
    (which gives the values its details lack)."""

    sentence: Sentence
    summary: re.Pattern[str] | None = None


def _w(sentence: Sentence, summary: str | None = None) -> Wording:
    return Wording(sentence, re.compile(summary) if summary else None)


_CODE, _EMAIL, _SLUG = r"(?P<code>\S+)", r"(?P<email>\S+)", r"(?P<course>\S+)"

#: action -> its wording
WORDINGS: dict[str, Wording] = {
    "certificate.issue": _w(lambda p: _("Certificate %(code)s issued to %(holder)s for %(course)s",
                                        **p),
                            rf"Certificate {_CODE} issued to (?P<holder>.+) for {_SLUG}"),
    "certificate.renew": _w(lambda p: _("Certificate %(code)s issued to %(holder)s for "
                                        "%(course)s, renewing %(previous)s", **p),
                            rf"Certificate {_CODE} issued to (?P<holder>.+) for {_SLUG}"),
    "certificate.revoke": _w(lambda p: _("Certificate %(code)s revoked", **p),
                             rf"Certificate {_CODE} revoked"),
    "certificate.suspend": _w(lambda p: _("Certificate %(code)s suspended", **p),
                              rf"Certificate {_CODE} suspended"),
    "certificate.unsuspend": _w(lambda p: _("Suspension of certificate %(code)s lifted", **p),
                                rf"Certificate {_CODE} unsuspended"),
    "certificate.allow_recertification": _w(
        lambda p: _("Recertification allowed after certificate %(code)s", **p),
        rf"Recertification allowed after certificate {_CODE}"),
    "mail.retry": _w(lambda p: ngettext("%(num)d failed notification queued again",
                                        "%(num)d failed notifications queued again",
                                        int(p["count"]))),
    "user.create": _w(lambda p: _("Account %(email)s created", **p),
                      rf"Account {_EMAIL} created"),
    "user.password": _w(lambda p: _("Password changed")),
    "user.password_reset": _w(lambda p: _("Password reset from a mailed link")),
    "user.set_password": _w(lambda p: _("Password of %(email)s set", **p),
                            rf"Password of {_EMAIL} set"),
    "user.profile": _w(lambda p: _("Certificate name changed from %(old)s to %(new)s", **p)),
    "user.roles": _w(lambda p: _("Roles of %(email)s changed", **p),
                     rf"Roles of {_EMAIL} changed"),
    "user.grant": _w(lambda p: _("Role %(role)s granted to %(email)s", email=p["email"],
                                 role=ROLE_LABELS.get(p["role"], p["role"])),
                     rf"(?P<role>\S+) granted to {_EMAIL}"),
    "user.activate": _w(lambda p: _("%(email)s reactivated", **p), rf"{_EMAIL} reactivated"),
    "user.deactivate": _w(lambda p: _("%(email)s deactivated", **p), rf"{_EMAIL} deactivated"),
    "user.logout": _w(lambda p: _("%(email)s logged out", **p), rf"{_EMAIL} logged out"),
    "user.sign_out_everywhere": _w(lambda p: _("%(email)s signed out everywhere", **p),
                                   rf"{_EMAIL} signed out everywhere"),
    "user.organisation": _w(lambda p: _("Organisation of %(email)s changed", **p),
                            rf"Organisation of {_EMAIL} changed"),
    "user.email_verified": _w(lambda p: _("Address %(email)s confirmed", **p),
                              rf"Address {_EMAIL} confirmed"),
    "user.email_change": _w(lambda p: _("Address changed from %(old)s to %(new)s", **p)),
    "user.email_change_request": _w(lambda p: _("Change of address to %(new)s requested", **p)),
    "user.mail_preferences": _w(lambda p: _("Mail preferences changed")),
    "organisation.create": _w(lambda p: _("Organisation %(name)s created", **p),
                              r"(?P<name>.+) created"),
    "organisation.invite": _w(lambda p: _("Invite link of %(name)s renewed", **p),
                              r"Invite link of (?P<name>.+) renewed"),
    "organisation.nudge": _w(lambda p: ngettext("%(num)d reminder to continue a course sent",
                                                "%(num)d reminders to continue a course sent",
                                                int(p["sent"])),
                             r"(?P<sent>\d+) reminder\(s\) to continue a course sent"),
    "organisation.invitations": _w(lambda p: ngettext(
        "%(num)d invitation to %(name)s sent", "%(num)d invitations to %(name)s sent",
        int(p["mailed"]), name=p["name"]), r"(?P<mailed>\d+) invitation\(s\) to (?P<name>.+) sent"),
    "invitation.accept": _w(lambda p: _("%(email)s joined %(name)s by invitation", **p),
                            rf"{_EMAIL} joined (?P<name>.+) by invitation"),
    "course.enroll": _w(lambda p: _("Enrolled in %(course)s", **p), _SLUG),
    "course.created": _w(lambda p: _("Course %(course)s imported as version %(version)s", **p),
                         rf"{_SLUG} version (?P<version>\d+)"),
    "course.updated": _w(lambda p: _("Course %(course)s imported as version %(version)s", **p),
                         rf"{_SLUG} version (?P<version>\d+)"),
    "capstone.submitted": _w(lambda p: _("Capstone work for %(course)s handed in (attempt "
                                         "%(attempt)s)", **p),
                             rf"{_SLUG} attempt (?P<attempt>\d+)"),
    "capstone.claimed": _w(lambda p: _("Capstone work claimed for scoring")),
    "capstone.released": _w(lambda p: _("Capstone work released for another trainer")),
    "capstone.graded": _w(lambda p: _("Capstone work scored: %(total)s of %(max)s points", **p),
                          r"\w+: (?P<total>\d+) of (?P<max>\d+) points"),
    "studio.course.create": _w(lambda p: _("Created the course %(course)s", **p),
                               rf"Created the course {_SLUG}"),
    "studio.draft.start": _w(lambda p: _("Started a draft of %(course)s", **p),
                             rf"Started a draft of {_SLUG}( from version \d+)?"),
    "studio.draft.discard": _w(lambda p: _("Discarded the draft of %(course)s", **p),
                               rf"Discarded the draft of {_SLUG}"),
    "studio.publish": _w(lambda p: _("Published %(course)s version %(version)s", **p),
                         rf"Published {_SLUG} version (?P<version>\d+)"),
    "studio.maintainer.add": _w(lambda p: _("%(email)s maintains %(course)s", **p),
                                rf"{_EMAIL} maintains {_SLUG}"),
    "studio.maintainer.remove": _w(lambda p: _("%(email)s no longer maintains %(course)s", **p),
                                   rf"{_EMAIL} no longer maintains {_SLUG}"),
    "studio.asset.upload": _w(lambda p: _("Uploaded assets/%(path)s", **p)),
    "studio.asset.remove": _w(lambda p: _("Removed assets/%(path)s", **p)),
    "studio.archive.upload": _w(lambda p: _(
        "Replaced the draft with an uploaded archive (files: %(file_count)s, assets: "
        "%(asset_count)s)", **p)),
    "studio.file.save": _w(lambda p: _("Saved %(path)s", **p)),
    "studio.module.add": _w(lambda p: _("Added the module %(path)s", **p)),
    "studio.lesson.add": _w(lambda p: _("Added the lesson %(path)s", **p)),
    "studio.quiz.add": _w(lambda p: _("Added %(path)s", **p)),
    "studio.translation.add": _w(lambda p: _("Started the translation %(path)s into %(language)s",
                                             language=_language_name(p["locale"]),
                                             path=p["path"])),
}
_ORG, _URL = r"(?P<name>.+)", r"(?P<url>\S+)"
#: sign-on, provisioning, the organisation API, webhooks and data rights
WORDINGS.update({
    "sso.account_created": _w(lambda p: _("Account %(email)s created at sign-on", **p),
                              rf"Account {_EMAIL} created at sign-on"),
    "sso.refused": _w(lambda p: _("Sign-on refused (%(protocol)s): %(reason)s", **p),
                      r"Sign-on refused \((?P<protocol>\w+)\): (?P<reason>\S+)"),
    "sso.signed_in": _w(lambda p: _("%(email)s signed in through %(name)s's identity provider",
                                    **p),
                        rf"{_EMAIL} signed in through {_ORG}'s identity provider"),
    "sso.test": _w(lambda p: _("Sign-on connection of %(name)s tested", **p),
                   rf"Sign-on connection of {_ORG} tested"),
    "sso.settings": _w(lambda p: _("Sign-on settings of %(name)s saved", **p),
                       rf"Sign-on settings of {_ORG} saved"),
    "token.issue": _w(lambda p: _("API token %(prefix)s… issued for %(name)s", **p),
                      rf"API token (?P<prefix>\S+)… issued for {_ORG}"),
    "token.revoke": _w(lambda p: _("API token %(prefix)s… revoked", **p),
                       r"API token (?P<prefix>\S+)… revoked"),
    "scim.user_create": _w(lambda p: _("Account %(email)s provisioned by the directory", **p),
                           rf"Account {_EMAIL} provisioned by the directory"),
    "scim.user_activate": _w(lambda p: _("%(email)s reactivated by the directory", **p),
                             rf"{_EMAIL} reactivated by the directory"),
    "scim.user_update": _w(lambda p: _("%(email)s updated by the directory", **p),
                           rf"{_EMAIL} updated by the directory"),
    "scim.user_deactivate": _w(lambda p: _("%(email)s deactivated by the directory", **p),
                               rf"{_EMAIL} deactivated by the directory"),
    "scim.user_delete": _w(lambda p: _("%(email)s removed by the directory (account "
                                       "deactivated, certificates kept)", **p),
                           rf"{_EMAIL} removed by the directory .*"),
    "scim.user_restore": _w(lambda p: _("%(email)s provisioned again by the directory", **p),
                            rf"{_EMAIL} provisioned again by the directory"),
    "scim.user_roles": _w(lambda p: _("Roles of %(email)s set by the directory groups", **p),
                          rf"Roles of {_EMAIL} set by the directory groups"),
    "scim.group_create": _w(lambda p: _("Directory group %(name)s created", **p),
                            rf"Directory group {_ORG} created"),
    "scim.group_update": _w(lambda p: _("Directory group %(name)s changed", **p),
                            rf"Directory group {_ORG} changed"),
    "scim.group_delete": _w(lambda p: _("Directory group %(name)s deleted", **p),
                            rf"Directory group {_ORG} deleted"),
    "webhook.create": _w(lambda p: _("Webhook endpoint %(url)s added", **p),
                         rf"Webhook endpoint {_URL} added for \S+"),
    "webhook.update": _w(lambda p: _("Webhook endpoint %(url)s changed", **p),
                         rf"Webhook endpoint {_URL} changed"),
    "webhook.delete": _w(lambda p: _("Webhook endpoint %(url)s deleted", **p),
                         rf"Webhook endpoint {_URL} deleted"),
    "webhook.rotate_secret": _w(lambda p: _("Signing secret of webhook endpoint %(url)s rotated",
                                            **p),
                                rf"Signing secret of webhook endpoint {_URL} rotated"),
    "webhook.enable": _w(lambda p: _("Webhook endpoint %(url)s turned on", **p),
                         rf"Webhook endpoint {_URL} turned on"),
    "webhook.disable": _w(lambda p: _("Webhook endpoint %(url)s turned off", **p),
                          rf"Webhook endpoint {_URL} turned off(:.*)?"),
    "webhook.test": _w(lambda p: _("Test event sent to webhook endpoint %(url)s", **p),
                       rf"Test event sent to webhook endpoint {_URL}"),
    "webhook.redeliver": _w(lambda p: _("Message %(message)s redelivered to %(url)s", **p),
                            rf"Message (?P<message>\S+) redelivered to {_URL}"),
    "privacy.anonymise": _w(lambda p: _("Account anonymised and deactivated; every login ended")),
    "privacy.remove_learning_text": _w(lambda p: _("Capstone work and quiz answers removed; "
                                                   "scores kept")),
    "privacy.erase": _w(lambda p: _("Account erased")),
    "privacy.keep_certificates": _w(lambda p: _("Certificates kept verifiable by the "
                                                "organisation's retention setting")),
    "privacy.export": _w(lambda p: _("Personal data exported")),
    "privacy.retention": _w(lambda p: _("Certificates kept verifiable after erasure")
                            if p["kept"] == "kept" else _("Certificates withdrawn on erasure"),
                            r"Certificates (?P<kept>kept|withdrawn).*"),
})
#: studio actions on any kind of file (lesson, module, quiz ...)
_FILE_ACTIONS = {
    "rename": _w(lambda p: _("Renamed %(path)s to %(new_path)s", **p)),
    "move": _w(lambda p: _("Moved %(path)s up", **p) if p["direction"] == "up"
               else _("Moved %(path)s down", **p), r"Moved \S+ \S+ (?P<direction>up|down)"),
    "remove": _w(lambda p: _("Removed %(path)s", **p)),
}


def _language_name(code: str) -> str:
    """A language's name in the reader's language ("German" to an English reader)."""
    return Locale.parse(code).get_language_name(get_locale() or "en")


def wording_of(action: str) -> Wording | None:
    """The wording of an action, if the log knows it."""
    if action in WORDINGS:
        return WORDINGS[action]
    area, _sep, verb = action.rpartition(".")
    return _FILE_ACTIONS.get(verb) if area.startswith("studio.") else None


def audit_sentence(event: AuditEvent) -> str:
    """What happened, in the reader's language; the stored summary when it cannot be worded."""
    wording = wording_of(event.action)
    if wording is None:
        return event.summary
    values: dict[str, Any] = {"code": event.target_id}
    values.update(event.details or {})
    if wording.summary is not None:
        found = wording.summary.fullmatch(event.summary or "")
        if found:
            values.update({k: v for k, v in found.groupdict().items() if v is not None})
    values = {name: value for name, value in values.items() if value is not None}
    try:
        return wording.sentence(values)
    except (KeyError, TypeError, ValueError):
        return event.summary
