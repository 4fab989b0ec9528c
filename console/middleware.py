from django.conf import settings

from memory.ids import new_request_id


class RequestIdMiddleware:
    """Give every request a `req_…` id, echoed in the `request-id` response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = new_request_id()
        response = self.get_response(request)
        response["request-id"] = request.request_id
        return response


class RequestSizeLimitMiddleware:
    """Refuse bodies over REVERIE_MAX_REQUEST_BYTES with 413 before reading them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REVERIE_MAX_REQUEST_BYTES:
            from memory.api.errors import error_response

            return error_response(
                request,
                status=413,
                error_type="request_too_large",
                message=f"The request body is {length} bytes; the limit is {settings.REVERIE_MAX_REQUEST_BYTES}.",
            )
        return self.get_response(request)


class RejectNulMiddleware:
    """Answer 400 when the URL, the query string or a form field holds a NUL character.

    No id, path or name may contain one, and PostgreSQL refuses NUL in any text value,
    even in a lookup: without this, `GET /v1/memory_stores/x%00` would reach the
    database and fail there. Memory content with NUL still works: the API sends it
    inside JSON, which this does not look at.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = None
        if "\x00" in request.path:
            where = "The URL"
        elif any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            where = "The query string"
        elif request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                   "multipart/form-data"):
            if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists()):
                where = "A form field"
        if where is None:
            return self.get_response(request)
        message = f"{where} contains a NUL character, which no id, path or name may hold."
        if request.path.startswith("/v1/"):
            from memory.api.errors import error_response

            return error_response(request, status=400, error_type="invalid_request_error", message=message)
        return _bad_request_page(request, message)

    def process_exception(self, request, exception):
        """The console's net for values the database refuses (a NUL inside a form id field the
        checks above cannot see, say): a 400 page, not a 500. The API has its own in its handler."""
        from django.db import DataError

        if isinstance(exception, DataError) and not request.path.startswith("/v1/"):
            from memory.api.errors import BAD_VALUE

            return _bad_request_page(request, BAD_VALUE)
        return None


def _bad_request_page(request, message: str):
    from django.shortcuts import render

    return render(request, "console/error.html", {"title": "Bad request", "message": message}, status=400)
