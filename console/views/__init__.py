from django.db import connection
from django.http import HttpResponse, JsonResponse

from memory.api.errors import error_response


def healthz(request):
    """200 once the server can reach its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable", "error": str(exc)}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request, exception=None):
    if request.path.startswith("/v1/"):
        return error_response(request, status=404, error_type="not_found_error", message=f"No endpoint at {request.path}.")
    return HttpResponse("Not found.", status=404, content_type="text/plain")


def server_error(request):
    if request.path.startswith("/v1/"):
        return error_response(request, status=500, error_type="api_error", message="Internal server error.")
    return HttpResponse("Server error.", status=500, content_type="text/plain")


def bad_request(request, exception=None):
    if request.path.startswith("/v1/"):
        return error_response(request, status=400, error_type="invalid_request_error", message="Bad request.")
    return HttpResponse("Bad request.", status=400, content_type="text/plain")
