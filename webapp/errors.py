"""Errors: `{"error": {code, message, details}}` under /api, a page elsewhere."""
from __future__ import annotations

from apiflask import HTTPError
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from models.errors import DomainError

from .schema_messages import translate_details

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid", 429: "too_many_requests", 500: "server_error"}


#: each status's title and sentence in the request's language (Werkzeug's are English)
PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    401: (_l("Sign-in required"), _l("Sign in to see this page.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page or do this.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist. Check the address.")),
    405: (_l("Method not allowed"), _l("This address does not accept this kind of request.")),
    409: (_l("Conflict"), _l("The request clashes with the current state of the data.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    415: (_l("Unsupported type"), _l("What was sent is not in a type this address accepts.")),
    422: (_l("Invalid data"), _l("Some fields are not valid")),
    429: (_l("Too many requests"), _l("Too many requests in a short time. Wait a moment and try again.")),
    500: (_l("Server error"), _l("Something went wrong on the server. Try again later.")),
}


def page_text(error: HTTPException) -> tuple[str, str]:
    """An HTTP error's title and sentence for a person: ours, unless the view gave its own sentence."""
    code = error.code or 500
    title, sentence = PAGES.get(code, (error.name, error.description))
    own = error.description and error.description != type(error).description
    return str(title), error.description if own else str(sentence)


def error_body(status: int, message: str, details: dict | None = None, code: str | None = None):
    return {"error": {"code": code or CODES.get(status, "error"), "message": message,
                      "details": details or {}}}


#: `?format=` downloads an operation may answer instead of JSON
DOWNLOAD_TYPES = {"csv": "text/csv",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app) -> None:
    from .api.schemas import ERROR_SCHEMA

    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_SCHEMA"] = ERROR_SCHEMA

    @app.spec_processor
    def _document_malformed_bodies(spec: dict) -> dict:
        """Every operation that takes a JSON body may answer 400 when the body is not JSON."""
        for item in spec.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict):
                    continue
                formats = [p.get("schema", {}).get("enum", []) for p in operation.get("parameters", [])
                           if p.get("name") == "format" and p.get("in") == "query"]
                if formats and "200" in operation["responses"]:
                    content = operation["responses"]["200"].setdefault("content", {})
                    for fmt in formats[0]:
                        if fmt in DOWNLOAD_TYPES:
                            content[DOWNLOAD_TYPES[fmt]] = {"schema": {"type": "string",
                                                                       "format": "binary"}}
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", {
                        "description": "The body is not valid JSON",
                        "content": {"application/json": {"schema": ERROR_SCHEMA}}})
        from .api.briefing import document_types

        return document_types(spec)

    @app.error_processor
    def _api_error(error: HTTPError):
        details = error.detail or {}
        code = (error.extra_data or {}).get("code")
        if error.status_code == 422 and isinstance(details, dict):
            # APIFlask nests marshmallow's field messages under their location: lift them up,
            # in the reader's language (a domain refusal's details are translated already).
            flat = {}
            for location, fields in details.items():
                if isinstance(fields, dict):
                    flat.update(translate_details(fields, _))
                else:
                    flat[location] = fields
            details = flat
        message = error.message
        if not message or message in (HTTP_STATUS_CODES.get(error.status_code), "Validation error"):
            message = str(PAGES.get(error.status_code, ("", error.message or "Error"))[1])
        return error_body(error.status_code, message, details, code), error.status_code, error.headers

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        # Keep the exception's own headers (405's Allow, 401's WWW-Authenticate, Retry-After).
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        title, sentence = page_text(error)
        if _wants_json():
            resp = jsonify(error_body(error.code or 500, sentence))
            return resp, error.code, headers
        return render_template("error.html", error=error, title=title, sentence=sentence), error.code, headers

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        """A refusal no view turned into a page of its own (most often Forbidden): the standard
        error page of its status, so views need not re-raise each one as abort()."""
        return _http_error(default_exceptions.get(error.status, BadRequest)())

    @app.errorhandler(500)
    def _server_error(error):
        if _wants_json():
            return jsonify(error_body(500, str(PAGES[500][1]))), 500
        title, sentence = page_text(InternalServerError())
        return render_template("error.html", error=error, title=title, sentence=sentence), 500
