"""Sign-in and sign-out with a session cookie; the language switch."""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import TooManyRequests
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from models import User, db
from models.data_version import remember_version, version_columns
from models.notifications import unread_total
from models.users import end_sessions, password_matches

from .extensions import login_manager
from .hardening import safe_next
from .labels import Form
from .notices import remember_unread
from .sign_in_limit import count_failure, refused_for

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")


@lru_cache(maxsize=1)
def _user_statement():
    """One statement for what every page asks first: the user and the unit, the menu's unread
    count and the data version its cache keys carry (#17: three queries fewer per page); built
    once, the user's id bound at execution."""
    return (select(User, unread_total(), *version_columns())
            .options(joinedload(User.unit)).where(User.id == bindparam("user_id")))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, read from the database on every request: a disabled account or a
    session made before the account's last sign-out, password change or deactivation (its
    `session_version` moved on) is no longer signed in, on every worker."""
    ident, _sep, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit() or len(ident) > 18:
        return None
    row = db.session.execute(_user_statement(), {"user_id": int(ident)}).first()
    if row is None:
        return None
    user, unread, number, changed_at = row
    remember_version(number, changed_at)
    remember_unread(user.id, unread or 0)
    if not user.is_active or (user.session_version or 0) != int(version):
        return None
    return user


class LoginForm(Form):
    # No deliverability check here: accounts such as admin@giaoban.local must be able to sign
    # in, and a wrong address simply matches no account.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect (one rule: `webapp.hardening.safe_next`)."""
    return safe_next(target)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = request.remote_addr or "unknown"
        wait = refused_for(address, email)  # before the password is tried: no answer to a guess
        if wait:
            minutes = max(1, -(-wait // 60))
            raise TooManyRequests(ngettext(
                "Too many failed sign-ins from this address or for this account. "
                "Try again in %(num)d minute.",
                "Too many failed sign-ins from this address or for this account. "
                "Try again in %(num)d minutes.", minutes), retry_after=wait)
        user = db.session.scalar(select(User).where(User.email == email))
        if password_matches(user, form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        count_failure(address, email, user)
        flash(_("Wrong e-mail or password."), "danger")
    status = 200 if request.method == "GET" or form.errors == {} else 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    end_sessions(current_user)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    from flask import session
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
