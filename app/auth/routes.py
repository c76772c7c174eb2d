"""Registration, login, logout, profile and password."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint, Response, after_this_request, current_app, flash, redirect, render_template,
    request, url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import services, throttle
from app.auth.logins import start_login
from app.auth.forms import ChangePasswordForm, LoginForm, LogoutForm, ProfileForm, RegistrationForm
from app.clock import utcnow
from app.extensions import client_address, db, limiter

bp = Blueprint("auth", __name__)

#: the answer to every registration that passes the form's rules, whether or not the email was
#: free: telling the two apart would tell anyone who has an account
REGISTERED = ("Thank you. If no account used this email before, your account is ready: log in "
              "with the password you chose. If one did, log in with that account's password.")


def _policy():
    return services.PasswordPolicy.from_config(current_app.config)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_CLIENT"], methods=["POST"])
def register():
    """Create an account (joining an organisation through its invitation link); the answer is
    the same whether or not the email had one, and logs nobody in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegistrationForm(invite=request.args.get("invite", ""))
    org = services.organisation_by_invite(db.session, form.invite.data)
    if form.invite.data and org is None:
        flash("This invitation link is not valid any more; you can still register on your own.",
              "warning")
        form.invite.data = ""
    if form.validate_on_submit():
        try:
            services.register(db.session, email=form.email.data, name=form.name.data,
                              password=form.password.data, policy=_policy(), organisation=org)
        except services.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))  # a 400: nothing kept
        else:
            flash(REGISTERED, "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form, organisation=org), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"], methods=["POST"])
def login():
    """Log in with email and password, then go where the login page was asked for."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = _reserve_password_check(form.email.data)  # before the hash: LoginThrottled
        user = services.authenticate(db.session, form.email.data, form.password.data, _policy(),
                                     utcnow())
        if user is None:
            form.password.errors.append("The email or password is not correct.")
            return render_template("auth/login.html", form=form), 401
        _login_succeeded(attempt)
        _log_in(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")) or url_for("main.dashboard"))
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


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
    """Change the password; None when done, else the status of the form shown again.

    Checking the current password is paid for like a login attempt, so a stolen session cannot
    guess it without limit.
    """
    try:
        attempt = _reserve_password_check(current_user.email)
    except throttle.LoginThrottled as refusal:
        form.current_password.errors.append(str(refusal))
        return 429
    try:
        services.change_password(db.session, current_user, form.current_password.data,
                                 form.new_password.data, _policy(), utcnow())
    except services.AccountError as error:
        getattr(form, error.field).errors.append(str(error))  # a 400: nothing kept
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


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out everywhere: every session and remember cookie of the account stops working (a
    POST with the form's token, so no other site can log anyone out)."""
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.log_out(db.session, current_user, utcnow())
        logout_user()
        flash("You are logged out, on this device and every other.", "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The learner's name on certificates, and their password."""
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = ChangePasswordForm(prefix="password")
    if profile.submit.data and profile.validate_on_submit():
        services.update_profile(db.session, current_user, profile.name.data)
        flash("Your profile is saved. Certificates issued from now on carry this name.", "success")
        return redirect(url_for("auth.account"))
    refused = None
    if password.submit.data and password.validate_on_submit():
        refused = _change_password(password)
        if refused is None:
            flash("Your password is changed, and every other login of yours is signed out.",
                  "success")
            return redirect(url_for("auth.account"))
    status = refused or (400 if (profile.errors or password.errors) else 200)
    return render_template("auth/account.html", profile=profile, password=password,
                           sign_out=LogoutForm()), status


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every other login of this account (other browsers, remembered devices)."""
    if not LogoutForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    ended = services.sign_out_everywhere(db.session, current_user, current_user, utcnow())
    flash(f"Signed out everywhere else ({ended} other login{'s' if ended != 1 else ''}).",
          "success")
    return redirect(url_for("auth.account"))
