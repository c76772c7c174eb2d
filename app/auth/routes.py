"""Registration, login, logout, profile, password, a forgotten password and the address."""
from datetime import timedelta

from flask import (
    Blueprint, Response, after_this_request, current_app, flash, redirect, render_template,
    request, url_for,
)
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import addresses, recovery, services, throttle
from app.auth.logins import start_login
from app.auth.passwords import password_rules
from app.auth.forms import (
    ChangeEmailForm, ChangePasswordForm, ConfirmEmailForm, ForgotPasswordForm, LoginForm,
    LogoutForm, ProfileForm, RegistrationForm, ResetPasswordForm,
)
from app.clock import utcnow
from app.routing import local_path
from app.extensions import client_address, db, limiter
from app.i18n import current_language
from app.navigation import home_url

bp = Blueprint("auth", __name__)

#: the answer to every registration that passes the form's rules, whether or not the email was
#: free: telling the two apart would tell anyone who has an account
REGISTERED = _l("Thank you. Check your inbox to confirm your address: we sent you a mail. If no "
                "account used this email before, your account is ready: log in with the password "
                "you chose. If one did, the mail tells you how to log in to it.")
#: the answer to every password reset request, whether or not an account uses the address
RESET_SENT = _l("If an account uses this address, we sent a link to it to choose a new password. "
                "The link works for one hour. Nothing arrived? Look in your spam folder, or ask "
                "again in a few minutes.")


def _policy():
    return services.PasswordPolicy.from_config(current_app.config)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_CLIENT"], methods=["POST"])
def register():
    """Create an account (joining an organisation through its invitation link); the answer is
    the same whether or not the email had one, and logs nobody in."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = RegistrationForm(invite=request.args.get("invite", ""), min_length=_policy().min_length)
    org = services.organisation_by_invite(db.session, form.invite.data)
    if form.invite.data and org is None:
        flash(_("This invitation link is not valid any more; you can still register on your "
                "own."), "warning")
        form.invite.data = ""
    if form.validate_on_submit():
        try:
            services.register(db.session, email=form.email.data, name=form.name.data,
                              password=form.password.data, policy=_policy(), organisation=org,
                              locale=current_language())
        except services.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))  # a 400
        else:
            flash(str(REGISTERED), "success")
            return redirect(url_for("auth.login", next=local_path(request.args.get("next"))))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form, organisation=org), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"], methods=["POST"])
def login():
    """Log in: the email first (an address of an organisation with sign-on goes to its identity
    provider), then the password; then where the login page was asked for, or the role's home.
    Email and password sent together log in at once."""
    if current_user.is_authenticated:
        return redirect(local_path(request.args.get("next")) or home_url(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    if not form.password.data:
        organisation = services.sign_on_organisation(db.session, form.email.data)
        if organisation is not None:
            return _continue_to_sign_on(form, organisation)
        return render_template("auth/login.html", form=form, step="password")
    return _log_in_with_password(form)


def _continue_to_sign_on(form: LoginForm, organisation):
    """The page that moves on to the organisation's identity provider at once.

    Not a redirect: the page's policy lets forms submit to this site only, and browsers hold a
    form's redirects to that too, so a redirect to the provider would be blocked. The page
    refreshes to our sign-on start instead (a plain navigation), with a link as well."""
    start = url_for("sso.start", org=organisation.slug, next=local_path(request.args.get("next")))
    return render_template("auth/login.html", form=form, step="password", continue_url=start,
                           organisation=organisation)


def _log_in_with_password(form: LoginForm):
    """Check the password (throttled) and log in, or show the form again."""
    # before anything else, the database included: a throttled guess costs nothing
    attempt = _reserve_password_check(form.email.data)  # LoginThrottled
    organisation = services.sign_on_organisation(db.session, form.email.data)
    if organisation is not None and services.password_login_closed(db.session, organisation.id):
        _give_back(attempt)  # no password was checked
        return _password_login_closed(form, organisation)
    user = services.authenticate(db.session, form.email.data, form.password.data, _policy(),
                                 utcnow())
    if user is None:
        form.password.errors.append(_("The email or password is not correct."))
        return render_template("auth/login.html", form=form, step="password"), 401
    _login_succeeded(attempt)
    if services.password_login_closed(db.session, user.organisation_id):
        return _password_login_closed(form, user.organisation)  # an account from before
    _log_in(user, remember=form.remember.data)
    return redirect(local_path(request.args.get("next")) or home_url(user))


def _password_login_closed(form: LoginForm, organisation):
    """403: the organisation lets its people in through its identity provider only."""
    form.password.data = ""
    start = url_for("sso.start", org=organisation.slug, next=local_path(request.args.get("next")))
    refusal = _("%(organisation)s signs its people in with their company account: password "
                "login is turned off.", organisation=organisation.name)
    return render_template("auth/login.html", form=form, refusal=refusal, sign_on_url=start,
                           step="password"), 403


@bp.errorhandler(throttle.LoginThrottled)
def login_throttled(error: throttle.LoginThrottled):
    """No password was checked: the login page says when to try again (429, Retry-After)."""
    body = render_template("auth/login.html", form=LoginForm(), refusal=str(error))
    return body, 429, {"Retry-After": str(error.retry_after)}


def _login_throttle() -> throttle.LoginThrottle | None:
    """The login throttle over the rate limiter's storage; None when rate limits are off."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    return throttle.LoginThrottle.from_config(limiter.storage, current_app.config)


def _reserve_password_check(email: str) -> throttle.Reservation:
    """Pay for checking a password on `email` from this client, or raise LoginThrottled."""
    secret = current_app.secret_key
    device = throttle.KnownDevice.load(request.cookies.get(throttle.KNOWN_DEVICE_COOKIE), secret)
    account = throttle.account_key(secret, services.normalise_email(email))
    login_throttle = _login_throttle()
    if login_throttle is None:
        return throttle.Reservation(account, device)
    return login_throttle.reserve(account, device, client_address())


def _give_back(attempt: throttle.Reservation) -> None:
    """Return a reserved password check that was never made."""
    login_throttle = _login_throttle()
    if login_throttle is not None:
        login_throttle.refund(attempt)


def _login_succeeded(attempt: throttle.Reservation) -> None:
    """Give the check back, and let this browser be a known device of the account."""
    login_throttle = _login_throttle()
    if login_throttle is not None:
        login_throttle.refund(attempt)
    cookie = attempt.device.remembering(attempt.account).dump(current_app.secret_key)

    @after_this_request
    def remember_device(response: Response) -> Response:
        response.set_cookie(throttle.KNOWN_DEVICE_COOKIE, cookie,
                            max_age=throttle.KNOWN_DEVICE_SECONDS, path=url_for("auth.login"),
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
                            samesite="Lax")
        return response


def _change_password(form: ChangePasswordForm) -> int | None:
    """Change the password; None when done, else the status of the form shown again."""
    return _with_current_password(form, lambda: services.change_password(
        db.session, current_user, form.current_password.data, form.new_password.data, _policy(),
        utcnow()))


def _with_current_password(form, change) -> int | None:
    """Run `change`, which checks the current password: None when done, else the status of the
    form shown again (429 throttled, 400 refused; nothing kept).

    Checking the current password is paid for like a login attempt, so a stolen session cannot
    guess it without limit; the check is given back when the password was right.
    """
    try:
        attempt = _reserve_password_check(current_user.email)
    except throttle.LoginThrottled as refusal:
        form.current_password.errors.append(str(refusal))
        return 429
    try:
        change()
    except services.AccountError as error:
        getattr(form, error.field).errors.append(str(error))
        if error.field != "current_password":
            _login_succeeded(attempt)  # the current password was right
        return 400
    _login_succeeded(attempt)
    return None


def _log_in(user, remember: bool = False) -> None:
    """Open a login that can be ended and put it in the cookies."""
    seconds = current_app.config["REMEMBER_COOKIE_DURATION" if remember
                                  else "PERMANENT_SESSION_LIFETIME"]
    lifetime = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
    start_login(db.session, user, utcnow(), lifetime)
    login_user(user, remember=remember, duration=lifetime if remember else None)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out everywhere: every session and remember cookie of the account stops working (a
    POST with the form's token, so no other site can log anyone out)."""
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.log_out(db.session, current_user, utcnow())
        logout_user()
        flash(_("You are logged out, on this device and every other."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The learner's name on certificates, their password, address and mail preferences."""
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = ChangePasswordForm(prefix="password")
    if profile.submit.data and profile.validate_on_submit():
        services.update_profile(db.session, current_user, profile.name.data)
        flash(_("Your profile is saved. Certificates issued from now on carry this name."),
              "success")
        return redirect(url_for("auth.account"))
    refused = None
    if password.submit.data and password.validate_on_submit():
        refused = _change_password(password)
        if refused is None:
            flash(_("Your password is changed, and every other login of yours is signed out."),
                  "success")
            return redirect(url_for("auth.account"))
    status = refused or (400 if (profile.errors or password.errors) else 200)
    return _account_page(status, profile=profile, password=password)


def _account_page(status: int = 200, **forms):
    """The account page with its forms (those given, as they were submitted)."""
    forms.setdefault("profile", ProfileForm(prefix="profile", obj=current_user))
    forms.setdefault("password", ChangePasswordForm(prefix="password"))
    forms.setdefault("email_change", ChangeEmailForm(prefix="email"))
    return render_template("auth/account.html", sign_out=LogoutForm(), **forms), status


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every other login of this account (other browsers, remembered devices)."""
    if not LogoutForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    ended = services.sign_out_everywhere(db.session, current_user, current_user, utcnow())
    flash(ngettext("Signed out everywhere else (%(num)d other login).",
                   "Signed out everywhere else (%(num)d other logins).", ended), "success")
    return redirect(url_for("auth.account"))


# --- a forgotten password ---------------------------------------------------------------------

@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_CLIENT"], methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_password_reset(db.session, form.email.data, utcnow())
        flash(str(RESET_SENT), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a mailed link: every login ends, and this browser logs in."""
    user = recovery.user_for_reset_token(db.session, current_app.secret_key, token, utcnow(),
                                         current_app.config["PASSWORD_RESET_MAX_AGE"])
    if user is None:
        return _dead_link(url_for("auth.forgot_password"), _("Ask for a new link"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.reset_password(db.session, user, form.password.data, _policy(), utcnow())
        except services.AccountError as error:
            form.password.errors.append(str(error))  # a 400: nothing kept
        else:
            _log_in(user)
            flash(_("Your new password is set. You are logged in here, and every other login "
                    "of yours was signed out."), "success")
            return redirect(home_url(user))
    return render_template("auth/reset_password.html", form=form, user=user,
                           password_rules=password_rules(_policy().min_length)), \
        400 if form.errors else 200


def _dead_link(again_url: str, again: str):
    """400: a link that is forged, expired, or was used already (nothing is changed)."""
    return render_template("auth/link_expired.html", again_url=again_url, again=again), 400


# --- the address ------------------------------------------------------------------------------

@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """Confirm an address from the link mailed to it. Opening the link shows a button, and the
    button confirms: a mail scanner that follows links confirms nothing."""
    found = addresses.user_for_email_token(db.session, current_app.secret_key, token, utcnow(),
                                           current_app.config["EMAIL_TOKEN_MAX_AGE"])
    if found is None:
        return _dead_link(url_for("auth.account"), _("Send a new link from your account page"))
    user, address = found
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        return _confirm_address(user, address)
    done = address == user.email and user.email_verified
    return render_template("auth/verify_email.html", form=form, address=address, done=done,
                           change=address != user.email), 400 if form.errors else 200


def _confirm_address(user, address: str):
    try:
        addresses.verify_email(db.session, user, address, utcnow())
    except services.EmailTaken:
        return render_template("auth/link_expired.html", taken=True, again_url=url_for(
            "auth.account"), again=_("Back to your account")), 409
    flash(_("Thank you: %(address)s is confirmed as your address.", address=address), "success")
    return redirect(url_for("main.dashboard" if current_user.is_authenticated else "auth.login"))


@bp.route("/account/email", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["EMAIL_MAIL_LIMIT_PER_CLIENT"])
def change_email():
    """Ask to move the account to another address; it moves once that address is confirmed."""
    form = ChangeEmailForm(prefix="email")
    refused = _request_email_change(form) if form.validate_on_submit() else 400
    if refused:
        return _account_page(refused, email_change=form)
    flash(_("We sent a link to %(address)s: your address changes once you confirm it there (the "
            "link works for three days). Until then, log in with your current address.",
            address=form.new_email.data.strip().lower()), "info")
    return redirect(url_for("auth.account"))


def _request_email_change(form: ChangeEmailForm) -> int | None:
    """Ask for the change; None when done, else the status of the form shown again."""
    return _with_current_password(form, lambda: addresses.request_email_change(
        db.session, current_user, form.new_email.data, form.current_password.data, _policy(),
        utcnow()))
