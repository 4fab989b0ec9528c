"""The one exception handler: every error leaves the API in Anthropic's envelope.

    {"type": "error", "error": {"type", "message", "details"?}, "request_id": "req_…"}

Validation problems are 400 (never 422), and every 409 carries
`x-should-retry: false` so the SDK does not retry a deterministic conflict.
"""

import logging

from django.db import DataError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf

from memory.errors import ReverieError

log = logging.getLogger(__name__)

_DRF_STATUS = {
    drf.ParseError: (400, "invalid_request_error"),
    drf.UnsupportedMediaType: (400, "invalid_request_error"),
    drf.ValidationError: (400, "invalid_request_error"),
    drf.NotAuthenticated: (401, "authentication_error"),
    drf.AuthenticationFailed: (401, "authentication_error"),
    drf.PermissionDenied: (403, "permission_error"),
    drf.NotFound: (404, "not_found_error"),
    drf.MethodNotAllowed: (405, "invalid_request_error"),
    drf.NotAcceptable: (406, "invalid_request_error"),
    drf.Throttled: (429, "rate_limit_error"),
}


def error_response(request, *, status: int, error_type: str, message: str, error_code=None, extra=None):
    error = {"type": error_type, "message": message}
    if error_code:
        error["details"] = {"error_code": error_code}
    if extra:
        error.update(extra)
    request_id = getattr(request, "request_id", None)
    response = JsonResponse({"type": "error", "error": error, "request_id": request_id}, status=status)
    if status in (400, 401, 403, 404, 409, 413):
        # Deterministic failures: retrying the same request cannot succeed.
        response["x-should-retry"] = "false"
    return response


BAD_VALUE = "The request holds a value that cannot be stored or looked up (such as a NUL character in an id)."


def handle_exception(exc, context):
    request = context.get("request")
    if isinstance(exc, ReverieError):
        return error_response(
            request, status=exc.status, error_type=exc.error_type, message=exc.message,
            error_code=exc.error_code, extra=exc.extra,
        )
    if isinstance(exc, Http404):
        return error_response(request, status=404, error_type="not_found_error", message="Not found.")
    if isinstance(exc, DataError):
        # A value the database refuses even to compare, such as an id with a NUL character
        # (PostgreSQL rejects NUL in any text value): bad input, not a server fault.
        log.warning("database refused a request value: %s", exc)
        return error_response(request, status=400, error_type="invalid_request_error", message=BAD_VALUE)
    for cls, (status, error_type) in _DRF_STATUS.items():
        if isinstance(exc, cls):
            return error_response(request, status=status, error_type=error_type, message=_message(exc))
    log.exception("unhandled error in API view")
    return error_response(request, status=500, error_type="api_error", message="Internal server error.")


def _message(exc: drf.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return "; ".join(f"`{k}`: {_flatten(v)}" for k, v in detail.items())
    return _flatten(detail)


def _flatten(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    return str(detail)
