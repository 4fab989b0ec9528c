"""Domain errors. Each carries the HTTP status and error type the API answers with,
so the one exception handler (memory/api/errors.py) renders every failure the same way
and the console can show the same message."""


class ReverieError(Exception):
    status = 400
    error_type = "invalid_request_error"
    error_code: str | None = None

    def __init__(self, message: str, *, error_code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code
        self.extra = extra or {}


class InvalidRequest(ReverieError):
    pass


class InvalidMetadata(InvalidRequest):
    error_code = "invalid_metadata"


class NotFound(ReverieError):
    status = 404
    error_type = "not_found_error"


class PermissionDenied(ReverieError):
    status = 403
    error_type = "permission_error"


class AuthenticationFailed(ReverieError):
    status = 401
    error_type = "authentication_error"


class Conflict(ReverieError):
    status = 409
    error_type = "conflict_error"


class PathConflict(Conflict):
    error_type = "memory_path_conflict_error"


class PreconditionFailed(Conflict):
    error_type = "memory_precondition_failed_error"


class RequestTooLarge(ReverieError):
    status = 413
    error_type = "request_too_large"
