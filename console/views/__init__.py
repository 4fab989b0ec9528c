from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from memory.api.errors import error_response


def healthz(request):
    """200 once the server can reach its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable", "error": str(exc)}, status=503)
    return JsonResponse({"status": "ok"})


def _console_error(request, status: int, title: str, message: str):
    return render(request, "console/error.html", {"title": title, "message": message}, status=status)


def not_found(request, exception=None):
    if request.path.startswith("/v1/"):
        return error_response(request, status=404, error_type="not_found_error", message=f"No endpoint at {request.path}.")
    return _console_error(request, 404, "Not found", "There is no such page, or it belongs to a workspace you are "
                                                     "not a member of.")


def forbidden(request, exception=None):
    reason = str(exception) if exception and str(exception) else "Your role in this workspace does not allow this."
    return _console_error(request, 403, "Not allowed", reason)


def csrf_failure(request, reason=""):
    # The word CSRF stays in the page: it is what an operator (or a support thread) searches for.
    return _console_error(request, 403, "Form expired", "This form's CSRF token is missing or out of date, so "
                                                        "nothing was done. Reload the page and try again.")


def server_error(request):
    if request.path.startswith("/v1/"):
        return error_response(request, status=500, error_type="api_error", message="Internal server error.")
    return _console_error(request, 500, "Something went wrong", "The server could not finish this request; nothing "
                                                                "was half-done. Try again, and check the server log.")


def bad_request(request, exception=None):
    if request.path.startswith("/v1/"):
        return error_response(request, status=400, error_type="invalid_request_error", message="Bad request.")
    return _console_error(request, 400, "Bad request", "The request could not be understood.")
