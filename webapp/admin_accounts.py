"""Admin pages for accounts (admins only), the set-password page, and one's own API tokens."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from models import User, db
from models.accounts import (
    account_for_password_token,
    change_account,
    change_password,
    communes_without_clerk,
    create_account,
    password_link_token,
    provision,
    search_accounts,
    set_enabled,
)
from models.errors import DomainError, ValidationFailed
from models.units import find_unit
from models.users import ROLES, ApiToken, issue_api_token, revoke_api_token

from .labels import ROLE_LABELS, Form, error_message, flash_form_errors

bp = Blueprint("admin_accounts", __name__)



class AccountForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()])
    unit = StringField(_l("Unit code"), validators=[Optional(), Length(max=64)])


class PasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1000)])
    again = PasswordField(_l("New password, again"),
                          validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class ImportForm(Form):
    file = FileField(_l("CSV file (e-mail, name, unit code, role)"))


class TokenForm(Form):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


def _admin() -> None:
    if current_user.role != "admin":
        abort(403)


def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _link_for(user: User) -> str:
    token = password_link_token(current_app.config["SECRET_KEY"], user)
    return url_for("admin_accounts.set_password", token=token, _external=True)


@bp.route("/admin/accounts")
@login_required
def index():
    _admin()
    q = request.args.get("q", "")
    role = request.args.get("role") or None
    unit_ref = request.args.get("unit", "").strip()
    unit = find_unit(unit_ref) if unit_ref else None
    users = search_accounts(q, role, unit) if not unit_ref or unit is not None else []
    return render_template("admin/accounts.html", users=users, q=q, role=role, unit_ref=unit_ref,
                           roles=ROLE_LABELS)


@bp.route("/admin/accounts/new", methods=["GET", "POST"])
@login_required
def new():
    _admin()
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user = create_account(form.email.data, form.name.data, form.role.data, form.unit.data, current_user)
        except DomainError as exc:
            flash_form_errors(form, exc)
        else:
            flash(_("Account created. Send the set-password link below to its owner."), "success")
            return render_template("admin/account.html", user=user, form=_edit_form(user), roles=ROLE_LABELS,
                                   link=_link_for(user))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/account_new.html", form=form), status


def _edit_form(user: User, formdata=None) -> AccountForm:
    if formdata is not None:
        return AccountForm(formdata=formdata)
    form = AccountForm(obj=user)
    form.unit.data = user.unit.ref if user.unit else ""
    return form


@bp.route("/admin/accounts/<int:user_id>", methods=["GET", "POST"])
@login_required
def detail(user_id: int):
    _admin()
    user = _account_or_404(user_id)
    form = _edit_form(user, request.form if request.method == "POST" else None)
    del form.email
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                change_account(user, form.role.data, form.unit.data, current_user, name=form.name.data)
            except DomainError as exc:
                flash_form_errors(form, exc)
                status = 400
            else:
                flash(_("Account saved."), "success")
                return redirect(url_for("admin_accounts.detail", user_id=user.id))
        else:
            status = 400
    return render_template("admin/account.html", user=user, form=form, roles=ROLE_LABELS, link=None), status


@bp.route("/admin/accounts/<int:user_id>/active", methods=["POST"])
@login_required
def set_active(user_id: int):
    _admin()
    user = _account_or_404(user_id)
    enabled = request.form.get("enabled") == "1"
    try:
        set_enabled(user, enabled, current_user)
    except DomainError as exc:
        flash(error_message(exc), "danger")
    else:
        flash(_("Account reactivated.") if enabled else _("Account deactivated: it can no longer sign in."),
              "success")
    return redirect(url_for("admin_accounts.detail", user_id=user.id))


@bp.route("/admin/accounts/<int:user_id>/reset", methods=["POST"])
@login_required
def reset(user_id: int):
    _admin()
    user = _account_or_404(user_id)
    flash(_("Send the link below to the account's owner: it works once."), "info")
    return render_template("admin/account.html", user=user, form=_edit_form(user), roles=ROLE_LABELS,
                           link=_link_for(user))


@bp.route("/admin/accounts/import", methods=["GET", "POST"])
@login_required
def bulk():
    _admin()
    form = ImportForm()
    results = None
    if form.validate_on_submit():
        upload = form.file.data
        raw = upload.read(2_000_001) if upload else b""
        if not raw:
            flash(_("Choose a CSV file."), "danger")
        elif len(raw) > 2_000_000:
            flash(_("The file is larger than 2 MB."), "danger")
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                flash(_("The file is not UTF-8 text."), "danger")
            else:
                results = provision(text, current_user)
                links = {r.line: _link_for(r.user) for r in results if r.status == "created"}
                return render_template("admin/accounts_import.html", form=form, results=results, links=links)
    return render_template("admin/accounts_import.html", form=form, results=results, links={})


@bp.route("/admin/accounts/communes-without-clerk.csv")
@login_required
def without_clerk():
    _admin()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Unit code"), _("Name"), _("District")])
    for unit in communes_without_clerk():
        writer.writerow([unit.ref, unit.name, unit.parent.name if unit.parent else ""])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=communes-without-clerk.csv"})


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    try:
        user = account_for_password_token(current_app.config["SECRET_KEY"], token,
                                          current_app.config.get("PASSWORD_LINK_MAX_AGE", 72 * 3600))
    except DomainError as exc:
        return render_template("admin/password_link.html", form=None, error=error_message(exc)), 404
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(user, form.password.data, user)
        except ValidationFailed as exc:
            flash_form_errors(form, exc)
        else:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Password set. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/password_link.html", form=form, user=user, error=None), status


@bp.route("/me/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    shown = None
    if form.validate_on_submit():
        shown = issue_api_token(current_user, form.name.data, actor=current_user)
        flash(_("Copy the token now: it is shown only once."), "warning")
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                              .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()
    return render_template("admin/tokens.html", form=form, tokens=rows, shown=shown)


@bp.route("/me/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    revoke_api_token(row, current_user)
    flash(_("Token revoked."), "success")
    return redirect(url_for("admin_accounts.tokens"))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def my_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.password.data, current_user)
        except ValidationFailed as exc:
            flash_form_errors(form, exc)
        else:
            logout_user()
            flash(_("Password changed. Sign in again."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/password_link.html", form=form, user=current_user, error=None), status


__all__ = ["bp", "ROLES"]
