"""API key authentication: `Authorization: Bearer <key>` or `x-api-key: <key>`."""

import re

from django.conf import settings
from rest_framework.authentication import BaseAuthentication

from memory.access import Principal
from memory.errors import AuthenticationFailed, InvalidRequest, PermissionDenied
from memory.identity import find_api_key, touch_api_key

SESSION_ID = re.compile(r"^sesn_[A-Za-z0-9_-]{1,64}$")


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        secret = _secret_from(request)
        if not secret:
            raise AuthenticationFailed(
                "Missing API key: send it as `Authorization: Bearer <key>` or `x-api-key: <key>`."
            )
        key = find_api_key(secret)
        if key is None:
            raise AuthenticationFailed("Invalid API key.")
        workspace_header = request.headers.get("anthropic-workspace-id")
        if workspace_header and workspace_header != key.workspace_id:
            raise PermissionDenied(f"This API key does not belong to workspace {workspace_header!r}.")
        session_id = request.headers.get(settings.REVERIE_SESSION_HEADER)
        if session_id is not None and not SESSION_ID.match(session_id):
            raise InvalidRequest(
                f"`{settings.REVERIE_SESSION_HEADER}` must be a session id like `sesn_…` "
                "(letters, digits, '_' and '-', at most 64 after the prefix)."
            )
        touch_api_key(key)
        principal = Principal(workspace=key.workspace, agent=key.agent, api_key=key, session_id=session_id or None)
        return principal, key

    def authenticate_header(self, request):
        return "Bearer"


def _secret_from(request) -> str | None:
    authorization = request.headers.get("Authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return request.headers.get("x-api-key", "").strip() or None
