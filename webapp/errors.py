"""Errors: `{"error": {code, message, details}}` under /api, a page elsewhere."""
from __future__ import annotations

from apiflask import HTTPError
from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid", 429: "too_many_requests", 500: "server_error"}


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
        return spec

    @app.error_processor
    def _api_error(error: HTTPError):
        details = error.detail or {}
        code = (error.extra_data or {}).get("code")
        if error.status_code == 422 and isinstance(details, dict):
            # APIFlask nests field messages under their location: lift them up.
            flat = {}
            for location, fields in details.items():
                if isinstance(fields, dict):
                    flat.update(fields)
                else:
                    flat[location] = fields
            details = flat
        message = error.message or "Error"
        return error_body(error.status_code, message, details, code), error.status_code, error.headers

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        # Keep the exception's own headers (405's Allow, 401's WWW-Authenticate, Retry-After).
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            resp = jsonify(error_body(error.code or 500, error.description or error.name))
            return resp, error.code, headers
        return render_template("error.html", error=error), error.code, headers

    @app.errorhandler(500)
    def _server_error(error):
        if _wants_json():
            return jsonify(error_body(500, "Internal server error")), 500
        return render_template("error.html", error=error), 500
