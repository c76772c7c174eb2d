"""HR: the organisation dashboard, its CSV export, the invitation link, the bulk check and the
reminders to learners who have not started or stopped (invitations by mail: invitation_routes)."""
from collections.abc import Iterable
from datetime import datetime

from flask import (
    Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
    stream_with_context, url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth import services
from app.auth.decorators import role_required
from app.certificates.extension import current_issuer
from app.clock import utcnow
from app.domain import DomainError
from app.extensions import client_address, db, limiter
from app.hr import export as hr_export
from app.hr import nudges as nudge_services
from app.hr import services as hr_services
from app.models import Organisation
from app.routing import page_number
from app.verify import bulk_results
from app.verify import services as verify_services
from app.verify.bulk import BulkResults, results_csv, results_of
from app.verify.forms import CSV_TOO_LARGE, BulkVerifyForm
from app.verify.spreadsheets import CsvError, read_csv_rows

bp = Blueprint("hr", __name__, url_prefix="/hr")


def own_organisation() -> Organisation:
    """The HR user's own organisation: the only one whose people they may see."""
    org = current_user.organisation
    if org is None:
        abort(404, _("Your account does not belong to an organisation yet. Ask an administrator."))
    return org


def _dashboard_query() -> hr_services.DashboardQuery:
    """Search, course, stage and order from the query string (unknown values are ignored)."""
    args = request.args
    status = args.get("status", "")
    sort = args.get("sort", "name")
    return hr_services.DashboardQuery(
        q=args.get("q", "")[:100], course=args.get("course", "")[:100],
        status=status if status in hr_services.STATUS_FILTERS else "",
        sort=sort if sort in hr_services.SORTS else "name",
        descending=args.get("order") == "desc",
    )


@bp.route("/")
@role_required("hr")
def dashboard():
    """The organisation's learners: progress, quizzes, certificates; filtered and sorted."""
    org, query = own_organisation(), _dashboard_query()
    rows = hr_services.organisation_rows(db.session, org, utcnow())
    chosen = hr_services.select_rows(rows, query)
    page = hr_services.paginate(chosen, page_number(request.args))
    return render_template(
        "hr/dashboard.html", org=org, query=query, page=page,
        headline=hr_services.headline(rows), chart=hr_services.progress_chart(rows),
        courses=hr_services.course_choices(rows), statuses=hr_services.STATUS_FILTERS,
        sorts=hr_services.SORTS,
    )


@bp.route("/export.csv")
@role_required("hr")
def export():
    """The dashboard rows matching the current filters, as a CSV download."""
    org, now = own_organisation(), utcnow()
    lines = hr_export.export_lines(db.session, org, now, _dashboard_query())
    filename = f"{org.slug}-learners-{now:%Y-%m-%d}.csv"
    return _csv_download(stream_with_context(line.encode("utf-8") for line in lines), filename)


@bp.route("/learners/<int:user_id>")
@role_required("hr")
def learner(user_id: int):
    """One member's courses; members of other organisations are simply not found."""
    org = own_organisation()
    person = hr_services.find_member(db.session, org, user_id)
    if person is None:
        abort(404, _("There is no learner at this address in your organisation."))
    rows = hr_services.organisation_rows(db.session, org, utcnow(), learner_ids=[person.id])
    return render_template("hr/learner.html", org=org, person=person,
                           rows=[row for row in rows if row.course_slug])


def hr_user_key() -> str:
    """Bulk checks and invitations are counted per HR account (each limit on its own), wherever
    it connects from."""
    return f"hr-user:{getattr(current_user, 'id', 'anonymous')}"


@bp.route("/verify/bulk", methods=["GET", "POST"])
@role_required("hr")
@limiter.limit(lambda: current_app.config["BULK_VERIFY_LIMIT_PER_USER"], methods=["POST"],
               key_func=hr_user_key)
def bulk_verify():
    """Upload a CSV of certificate codes; see a verdict per row, filter them, download them."""
    form = BulkVerifyForm()
    if not form.validate_on_submit():
        status = 413 if CSV_TOO_LARGE in form.codes.errors else 400
        return _bulk_page(form), status if form.is_submitted() else 200
    now = utcnow()
    try:
        report = _bulk_report(form.codes.data.read(), now)
    except (CsvError, verify_services.BulkInputError) as error:
        form.codes.errors.append(str(error))
        return _bulk_page(form), 400
    results = results_of(report, now)
    token = bulk_results.seal(results, owner=current_user.id,
                              secret=current_app.config["SECRET_KEY"])
    return _bulk_page(form, bulk_results.results_page(results), token)


#: filtering, paging and downloading results already checked: no verification, one token read
BULK_RESULTS_LIMIT_PER_USER = "60 per minute"


@bp.route("/verify/bulk/results", methods=["POST"])
@role_required("hr")
@limiter.limit(BULK_RESULTS_LIMIT_PER_USER, key_func=hr_user_key)
def bulk_verify_results():
    """The results of a bulk check again: one verdict's rows, or another page of them."""
    try:
        results = _kept_results()
    except (bulk_results.UnreadableResults, bulk_results.ExpiredResults) as error:
        return _results_refused(error)
    chosen = request.form.get("verdict", request.form.get("shown", ""))
    page = bulk_results.results_page(results, chosen, page_number(request.form))
    return _bulk_page(BulkVerifyForm(), page, request.form["results"])


@bp.route("/verify/bulk/results.csv", methods=["POST"])
@role_required("hr")
@limiter.limit(BULK_RESULTS_LIMIT_PER_USER, key_func=hr_user_key)
def bulk_verify_csv():
    """The results of a bulk check as a CSV: the rows uploaded, each with its verdict."""
    try:
        results = _kept_results()
    except (bulk_results.UnreadableResults, bulk_results.ExpiredResults) as error:
        return _results_refused(error)
    return _csv_download(results_csv(results),
                         f"certificate-verdicts-{results.checked_at:%Y-%m-%d-%H%M}.csv")


def _kept_results() -> BulkResults:
    """The results the form sent back: the HR user's own, and recent."""
    return bulk_results.unseal(request.form.get("results", ""), owner=current_user.id,
                               secret=current_app.config["SECRET_KEY"], now=utcnow())


def _results_refused(error: DomainError) -> tuple[str, int]:
    """The upload form again, saying why the results sent back cannot be shown."""
    form = BulkVerifyForm()
    form.codes.errors = [str(error)]
    return _bulk_page(form), 400


def _bulk_page(form: BulkVerifyForm, results: bulk_results.ResultsPage | None = None,
               token: str | None = None) -> str:
    """The bulk check page: the upload form, and the results of a check when there are some."""
    return render_template("hr/bulk_verify.html", form=form, results=results, token=token,
                           max_rows=verify_services.BULK_MAX_ROWS,
                           kept_hours=int(bulk_results.RESULTS_KEPT_FOR.total_seconds() // 3600))


def _bulk_report(data: bytes, now: datetime) -> verify_services.BulkReport:
    """Verify every row and log each verdict (channel bulk)."""
    return verify_services.verify_and_log_bulk(
        db.session, read_csv_rows(data, verify_services.BULK_MAX_ROWS), keyring=current_issuer().keyring,
        client=verify_services.client_digest(client_address(), current_app.config["SECRET_KEY"]),
        now=now)


def _csv_download(body: str | Iterable[bytes], filename: str) -> Response:
    """A CSV download (a text, or bytes as they are written) that no cache keeps."""
    response = Response(body.encode("utf-8") if isinstance(body, str) else body,
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/organisation")
@role_required("hr")
def organisation():
    """The organisation's members and its invitation link."""
    org = own_organisation()
    return render_template("hr/organisation.html", org=org,
                           members=hr_services.members(db.session, org), form=FlaskForm())


@bp.route("/organisation/invite", methods=["POST"])
@role_required("hr")
def renew_invite():
    """A new invitation link for the organisation; the old one stops working."""
    org = current_user.organisation
    if org is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.regenerate_invite(db.session, current_user, org)
    flash(_("A new invitation link is ready; the old one no longer works."), "success")
    return redirect(url_for("hr.organisation"))


@bp.route("/nudges")
@role_required("hr")
def nudges():
    """Learners who have not started a course or left it for two weeks: remind them in one go."""
    org, now = own_organisation(), utcnow()
    return render_template("hr/nudges.html", org=org, now=now, form=FlaskForm(),
                           candidates=nudge_services.candidates(db.session, org, now),
                           select_all=request.args.get("select") == "all",
                           every_days=nudge_services.NUDGE_EVERY.days)


@bp.route("/nudges", methods=["POST"])
@role_required("hr")
def send_nudges():
    """Remind the learners ticked; one of another organisation makes the whole request a 404."""
    org = own_organisation()
    report = nudge_services.nudge(db.session, org, current_user, _learner_ids(), utcnow())
    flash(_nudge_summary(report), "success" if report.sent else "info")
    return redirect(url_for("hr.nudges"), 303)


def _learner_ids() -> list[int]:
    """The ids ticked on the reminders page; anything but an id is a 400."""
    values = request.form.getlist("learner")
    if len(values) > nudge_services.MAX_LEARNERS or not all(
            value.isascii() and value.isdigit() and len(value) <= 12 for value in values):
        abort(400, _("The learners chosen could not be read. Please reload the page and try again."))
    return [int(value) for value in values]


def _nudge_summary(report: nudge_services.NudgeReport) -> str:
    """One sentence on what a press of "Send reminder" did."""
    parts = [ngettext("%(num)d reminder sent.", "%(num)d reminders sent.", report.sent)]
    if report.skipped_recent:
        parts.append(_("%(count)s skipped: reminded in the last %(days)s days.",
                       count=report.skipped_recent, days=nudge_services.NUDGE_EVERY.days))
    if report.skipped_opted_out:
        parts.append(_("%(count)s skipped: they turned these reminders off.",
                       count=report.skipped_opted_out))
    if report.skipped_not_due:
        parts.append(_("%(count)s skipped: nothing left to resume.", count=report.skipped_not_due))
    return " ".join(parts)
