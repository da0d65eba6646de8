"""Shared parts of the API: the blueprint, bearer-token auth and error helpers."""
from __future__ import annotations

from apiflask import APIBlueprint, HTTPError, HTTPTokenAuth
from flask_babel import gettext as _

from models.errors import DomainError
from models.units import Unit, find_unit
from models.users import User, user_for_token

from ..labels import error_details, error_message

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
auth = HTTPTokenAuth(scheme="Bearer", description="A token from `flask users token EMAIL`.")


@bp.after_request
def _vary_by_language(response):
    """The API's messages and files follow Accept-Language: a shared cache must key on it too."""
    response.vary.add("Accept-Language")
    return response


@auth.verify_token
def _verify(token: str) -> User | None:
    return user_for_token(token) if token else None


@auth.error_handler
def _auth_error(status):
    message = _("A valid bearer token is required.") if status == 401 else _("Not allowed.")
    raise HTTPError(status, message, extra_data={"code": "unauthorized" if status == 401 else "forbidden"})


def actor() -> User:
    return auth.current_user


def fail(error: DomainError):
    """Turn a domain refusal into the API's error answer."""
    raise HTTPError(error.status, error_message(error), detail=error_details(error),
                    extra_data={"code": error.code})


def unit_or_404(ref: str) -> Unit:
    unit = find_unit(ref)
    if unit is None:
        raise HTTPError(404, _("No unit %(ref)s.", ref=repr(ref)), extra_data={"code": "not_found"})
    return unit



def unit_field(ref: str, field: str) -> Unit:
    """A unit named in a query or body field: an unknown one is a 422 naming that field."""
    unit = find_unit(ref)
    if unit is None:
        raise HTTPError(422, _("Some fields are not valid"), detail={field: [_("No unit %(ref)s.", ref=repr(ref))]},
                        extra_data={"code": "invalid"})
    return unit
