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
