"""The edge, once for every route: control characters, JSON nesting, database faults, safe redirects.

- NUL and other control characters are refused in path parameters, query strings and form
  fields (tab, line feed and carriage return are allowed in form fields, where multi-line text
  lives); in JSON bodies NUL is dropped (the API's documented behaviour) and other control
  characters but tab and line breaks are refused. The database never sees NUL; a refusal
  names the field.
- A JSON body nested deeper than `MAX_JSON_DEPTH` is refused before anything parses it.
- A write that cannot get the database's lock in time, and a database that does not answer,
  give 503 with Retry-After (page or JSON), never a bare 500.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from flask import jsonify, render_template, render_template_string, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, ServiceUnavailable

from models import db

MAX_JSON_DEPTH = 32
UNAVAILABLE_PAGE = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>503</title></head>"
                    "<body><h1>503 · {{ title }}</h1><p>{{ message }}</p></body></html>")
RETRY_AFTER = "5"
#: refused in JSON strings (NUL is dropped there): C0 controls but NUL, tab, line feed and
#: carriage return; DEL; C1 controls. The OpenAPI document's patterns read these too.
REFUSED_IN_JSON = r"\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
#: refused in path parameters and query strings: every control character
REFUSED_IN_URLS = r"\u0000-\u001f\u007f-\u009f"
#: form fields: what JSON refuses, and NUL
_CONTROL_MULTILINE = re.compile(f"[\\u0000{REFUSED_IN_JSON}]")
_CONTROL_ANY = re.compile(f"[{REFUSED_IN_URLS}]")


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A same-site path to go to after sign-in or a language switch, else the home page.

    Browsers drop tab and line breaks inside URLs and read a backslash as a slash, so
    `/\\t/evil.example` means `//evil.example`: any of them, or anything with a scheme or a
    host once parsed, falls back.
    """
    home = fallback or url_for("registry.home")
    if not target or not isinstance(target, str) or _CONTROL_ANY.search(target) or "\\" in target:
        return home
    if not target.startswith("/") or target.startswith("//") or " " in target[:2]:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target


class EdgeRefusal(HTTPException):
    code = 400

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = status
        self.field = field


def _json_depth_exceeds(raw: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (no parsing, no recursion)."""
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _bad_json_string(value, path: str) -> str | None:
    """The path of the first string (key or value) holding a refused control character."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _CONTROL_MULTILINE.search(item):
                return where or "body"
        elif isinstance(item, dict):
            for key, sub in item.items():
                name = f"{where}.{key}" if where else str(key)
                if _CONTROL_MULTILINE.search(str(key)):
                    return name
                stack.append((sub, name))
        elif isinstance(item, list):
            stack.extend((sub, f"{where}[{i}]") for i, sub in enumerate(item))
    return None


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _check_request() -> None:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _CONTROL_ANY.search(value):
            raise EdgeRefusal(name, _("Control characters are not allowed here."), 404)
    for name, value in request.args.items(multi=True):
        if _CONTROL_ANY.search(name) or _CONTROL_ANY.search(value):
            raise EdgeRefusal(_CONTROL_ANY.sub("?", name),
                              _("Control characters are not allowed here."), _refusal_status())
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if _CONTROL_MULTILINE.search(name) or _CONTROL_MULTILINE.search(value):
                raise EdgeRefusal(_CONTROL_ANY.sub("?", name),
                                  _("Control characters are not allowed here."), 400)
    if request.is_json and request.content_length != 0:
        raw = request.get_data(cache=True, as_text=True)
        if _json_depth_exceeds(raw, MAX_JSON_DEPTH):
            raise EdgeRefusal("body", _("The JSON body is nested too deeply."), 400)
        data = request.get_json(silent=True)
        if data is None:
            return
        if "\\u0000" in raw:
            # NUL in JSON text is dropped, as the domain's text cleaning always did; the body
            # every later reader parses is the cleaned one, so no NUL reaches the database.
            data = _without_nul(data)
            request._cached_data = json.dumps(data, ensure_ascii=False).encode()
            request._cached_json = (data, data)
        where = _bad_json_string(data, "")
        if where:
            raise EdgeRefusal(where, _("Control characters are not allowed here."), _refusal_status())


def _refusal_status() -> int:
    return 422 if request.path.startswith("/api/") else 400


def init_app(app) -> None:
    from .errors import error_body

    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)

    @app.errorhandler(EdgeRefusal)
    def _edge(error: EdgeRefusal):
        if request.path.startswith("/api/"):
            code = {400: "bad_request", 404: "not_found", 422: "invalid"}[error.code]
            return jsonify(error_body(error.code, error.description, {error.field: [error.description]},
                                      code)), error.code
        if error.code == 404 and request.path.startswith("/feeds/"):
            from .calendars import feed_not_found

            return feed_not_found()  # a refused token reads like any other unknown one
        from .errors import page_text

        page = BadRequest(f"{error.field}: {error.description}")
        page.code = error.code
        title, sentence = page_text(page)
        return render_template("error.html", error=page, title=title, sentence=sentence), error.code

    def _unavailable(_error):
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the database is what failed; nothing more to undo
            pass
        message = _("The service is busy or its database is unavailable; try again in a moment.")
        headers = {"Retry-After": RETRY_AFTER}
        if request.path.startswith("/api/"):
            return jsonify(error_body(503, message, code="unavailable")), 503, headers
        # A page of its own: the site's layout reads the signed-in user from the database.
        page = render_template_string(UNAVAILABLE_PAGE, title=ServiceUnavailable.name, message=message)
        return page, 503, headers

    for exc in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(exc, _unavailable)
