"""Certificate pages: my certificates, one certificate, downloads, public keys.

The administrators' list and status changes are in :mod:`app.certificates.admin_routes`, on
the same blueprint."""
from __future__ import annotations

import hashlib
import io

from flask import (
    Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.certificates import design_previews, services, status_list
from app.certificates.badge import DEFAULT_JWT_ALGORITHM, JWT_ALGORITHMS, achievement_image_svg
from app.certificates.did import did_document
from app.certificates.extension import current_issuer
from app.clock import utcnow
from app.errors import refusals_return_to
from app.extensions import db
from app.models import Certificate, Course
from app.templating import when

bp = Blueprint("certificates", __name__)

PRIVATE_CACHE = "private, max-age=300"


class ClaimForm(FlaskForm):
    """The button that issues a certificate the learner has earned."""


def _viewable_or_404(code: str) -> Certificate:
    """The certificate if the current user holds it or is an admin; 404 for anyone else."""
    certificate = services.find_certificate(db.session, code)
    if certificate is None or not (certificate.user_id == current_user.id
                                   or current_user.has_role("admin")):
        abort(404, _("We could not find that certificate among yours."))
    return certificate


def _document_or_refusal(code: str) -> Certificate:
    """The certificate when its document may be handed out; a revoked or suspended one is not
    offered as a clean document (410 revoked, 409 suspended), whoever asks."""
    certificate = _viewable_or_404(code)
    if certificate.status == services.REVOKED:
        abort(410, _("Certificate %(code)s was revoked on %(date)s. It is no longer valid, so "
                     "its document and badge are not offered.", code=certificate.code,
                     date=when(certificate.status_changed_at, "date")))
    if certificate.status == services.SUSPENDED:
        abort(409, _("Certificate %(code)s is suspended while it is reviewed. Its document and "
                     "badge are offered again if the suspension is lifted.",
                     code=certificate.code))
    return certificate


# --- the learner's side -------------------------------------------------------------------

@bp.route("/certificates")
@login_required
def mine():
    """The learner's certificates, and any earned one still to be issued."""
    now = utcnow()
    rows = [(c, services.certificate_state(c, now))
            for c in services.certificates_of(db.session, current_user)]
    claimable = services.claimable_courses(db.session, current_user)
    return render_template("certificates/mine.html", rows=rows, claimable=claimable,
                           form=ClaimForm(), labels=services.STATE_LABELS)


@bp.route("/certificates/claim/<slug>", methods=["POST"])
@login_required
@refusals_return_to("certificates.mine")
def claim(slug: str):
    """Issue the certificate of a course whose final exam the learner passed."""
    course = next((c for c in services.claimable_courses(db.session, current_user)
                   if c.slug == slug), None)
    if course is None:
        abort(404, _("There is no certificate to collect for this course."))
    if not ClaimForm().validate_on_submit():
        abort(400)
    try:
        certificate = services.issue_certificate(db.session, current_user, course, utcnow(),
                                                 issuer=current_issuer(),
                                                 page_locale=str(get_locale()))
    except services.NotEligible as refusal:  # the refusal handler flashes it, with this lead-in
        raise services.NotEligible([_("Your certificate cannot be issued yet."),
                                    *refusal.reasons]) from refusal
    flash(_("Your certificate is ready."), "success")
    return redirect(url_for("certificates.certificate_page", code=certificate.code))


@bp.route("/certificates/<code>")
@login_required
def certificate_page(code: str):
    """One certificate: preview, facts, downloads and sharing."""
    certificate = _viewable_or_404(code)
    if code != certificate.code:
        return redirect(url_for("certificates.certificate_page", code=certificate.code))
    issuer = current_issuer()
    return render_template(
        "certificates/certificate.html", certificate=certificate,
        state=services.certificate_state(certificate, utcnow()), labels=services.STATE_LABELS,
        verify_url=services.certificate_facts(db.session, certificate, issuer.name).payload.verify_url,
        linkedin_url=services.linkedin_url(certificate, issuer.name),
        renewed_by=services.renewed_by(db.session, certificate),
        renewal_opens_at=services.renewal_opens_at(certificate),
        public_reason=services.public_reason_text(certificate.public_reason),
        has_preview=design_previews.can_draw())


@bp.route("/certificates/<code>/linkedin")
@login_required
def add_to_linkedin(code: str):
    """LinkedIn's "add licence or certification" form, pre-filled: the holder's own valid
    certificate only (a profile should never show an expired or renewed one)."""
    certificate = _document_or_refusal(code)
    if certificate.user_id != current_user.id:
        abort(404, _("We could not find that certificate among yours."))
    if services.certificate_state(certificate, utcnow()) != services.VALID:
        abort(409, _("Certificate %(code)s is no longer valid, so it is not offered for your "
                     "LinkedIn profile.", code=certificate.code))
    return redirect(services.linkedin_url(certificate, current_issuer().name), 303)


@bp.route("/certificates/<code>/certificate.pdf")
@login_required
def download_pdf(code: str):
    """The signed PDF exactly as issued."""
    certificate = _document_or_refusal(code)
    response = send_file(io.BytesIO(certificate.pdf), mimetype="application/pdf",
                         as_attachment=True, download_name=f"{certificate.code}.pdf",
                         etag=certificate.pdf_sha256, conditional=True)
    response.headers["Cache-Control"] = PRIVATE_CACHE
    return response


@bp.route("/certificates/<code>/preview.png")
@login_required
def preview_png(code: str):
    """A picture of the certificate's page, drawn from the stored PDF."""
    certificate = _document_or_refusal(code)
    png = design_previews.preview(certificate)
    if png is None:
        abort(404, _("No preview is available for this certificate."))
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/certificates/<code>/thumbnail.png")
def public_thumbnail(code: str):
    """A small picture of a valid certificate for its public verification page; a revoked,
    suspended, expired or superseded one is not pictured."""
    certificate = services.find_certificate(db.session, code)
    if certificate is None or certificate.state(utcnow()) != services.VALID:
        abort(404, _("Only a valid certificate is pictured."))
    png = design_previews.thumbnail(certificate)
    if png is None:
        abort(404, _("No picture is available for this certificate."))
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-cache"  # asked again once its status may change
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.set_etag(certificate.pdf_sha256)
    return response.make_conditional(request)


@bp.route("/certificates/<code>/badge.json")
@login_required
def badge_json(code: str):
    """The Open Badges 3.0 credential as readable JSON."""
    certificate = _document_or_refusal(code)
    badge = services.open_badge(db.session, certificate, current_issuer())
    response = jsonify(badge.credential)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{certificate.code}-badge.json"'
    return response


@bp.route("/certificates/<code>/badge.jwt")
@login_required
def badge_jwt(code: str):
    """The same credential as an OB 3.0 JWT: RS256 unless ?alg=EdDSA; its kid is a key URL."""
    algorithm = request.args.get("alg", DEFAULT_JWT_ALGORITHM)
    if algorithm not in JWT_ALGORITHMS:
        first, second = JWT_ALGORITHMS
        abort(400, _("Badges are signed %(first)s or %(second)s; choose one with ?alg=.",
                     first=first, second=second))
    certificate = _document_or_refusal(code)
    badge = services.open_badge(db.session, certificate, current_issuer(), algorithm)
    return Response(badge.token, mimetype="application/vc+jwt", headers={
        "Content-Disposition": f'attachment; filename="{certificate.code}-badge.jwt"'})


# --- public keys --------------------------------------------------------------------------

@bp.route("/.well-known/jwks.json")
def jwks():
    """The public keys that verify certificate payloads and badges (Ed25519, then RSA)."""
    response = jsonify(current_issuer().jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- status lists ---------------------------------------------------------------------------

#: what a client may ask for; anything else (or nothing) gets the JSON credential
_STATUS_LIST_TYPES = ("application/json", "application/vc", status_list.JWT_MEDIA_TYPE,
                      "application/jwt")


@bp.route("/credentials/status/<any(revocation, suspension):purpose>")
def status_list_credential(purpose: str):
    """A public W3C Bitstring Status List: the VC-JWT when asked for application/vc+jwt,
    otherwise the JSON credential with its embedded proof; cached five minutes, with an ETag."""
    wanted = request.accept_mimetypes.best_match(_STATUS_LIST_TYPES, default="application/json")
    as_jwt = wanted in (status_list.JWT_MEDIA_TYPE, "application/jwt")
    body = status_list.published(db.session, purpose, current_issuer(), utcnow(), as_jwt=as_jwt)
    response = Response(body, mimetype=status_list.JWT_MEDIA_TYPE if as_jwt else wanted)
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.headers["Cache-Control"] = f"public, max-age={int(status_list.TTL.total_seconds())}"
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.route("/certificates/root-ca.pem")
def root_ca():
    """The root CA certificate that our PDF signatures chain to, for PDF readers to trust."""
    pem = current_issuer().root_ca_pem()
    if pem is None:
        abort(404, _("No root certificate is published."))
    return Response(pem, mimetype="application/x-pem-file", headers={
        "Content-Disposition": 'attachment; filename="okr-academy-root-ca.pem"',
        "Cache-Control": "public, max-age=3600"})


# --- Open Badges: one key per URL, the issuer's DID document, achievement images ------------

PUBLIC_CACHE = "public, max-age=300"


def _public(response: Response) -> Response:
    response.headers["Cache-Control"] = PUBLIC_CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/keys/<kid>.json")
def public_key(kid: str):
    """One public key as a JWK: what a badge JWT's kid URL dereferences to."""
    jwk = current_issuer().public_jwk(kid)
    if jwk is None:
        abort(404, _("We publish no key with that id."))
    return _public(jsonify(jwk))


@bp.route("/.well-known/did.json")
@bp.route("/did.json")  # where did:web looks when PUBLIC_BASE_URL has a path
def did_json():
    """The did:web DID document: the Ed25519 keys that verify badges' Data Integrity proofs."""
    issuer = current_issuer()
    return _public(jsonify(did_document(issuer.url, issuer.keyring)))


@bp.route("/certificates/achievements/<slug>/image.svg")
def achievement_image(slug: str):
    """The badge picture of a course's achievement, shown by wallets and verifiers."""
    title = db.session.scalar(select(Course.title).where(Course.slug == slug))
    if title is None:
        abort(404, _("There is no course at this address."))
    svg = achievement_image_svg(title, current_issuer().name)
    return _public(Response(svg, mimetype="image/svg+xml"))
