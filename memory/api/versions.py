"""/v1/memory_stores/{id}/memory_versions: history, and redaction."""

from rest_framework.decorators import api_view
from rest_framework.response import Response

from memory import versions
from memory.access import get_store
from memory.api import params, render
from memory.errors import InvalidRequest
from memory.listing import list_versions
from memory.models import Operation

OPERATIONS = [choice.value for choice in Operation]


@api_view(["GET"])
def memory_versions(request, store_id):
    store = get_store(request.user, store_id)
    view = params.get_view(request, default="basic")
    limit = params.get_limit(request)
    if view == "full":
        limit = min(limit, params.MAX_FULL_PAGE)
    operation = params.get_str(request, "operation")
    if operation is not None and operation not in OPERATIONS:
        raise InvalidRequest(f"`operation` must be one of {', '.join(OPERATIONS)}.")
    rows, next_page = list_versions(
        store=store,
        limit=limit,
        page=params.get_str(request, "page"),
        with_content=view == "full",
        memory_id=params.get_str(request, "memory_id"),
        operation=operation,
        api_key_id=params.get_str(request, "api_key_id"),
        session_id=params.get_str(request, "session_id"),
        created_gte=params.get_datetime(request, "created_at[gte]"),
        created_lte=params.get_datetime(request, "created_at[lte]"),
    )
    # Reverie has no service accounts: a service_account_id filter matches nothing.
    if params.get_str(request, "service_account_id"):
        rows, next_page = [], None
    return Response(render.page([render.memory_version(v, full=view == "full") for v in rows], next_page))


@api_view(["GET"])
def memory_version(request, store_id, version_id):
    store = get_store(request.user, store_id)
    view = params.get_view(request, default="full")
    version = versions.get_version(store=store, version_id=version_id, with_content=view == "full")
    return Response(render.memory_version(version, full=view == "full"))


@api_view(["POST"])
def redact(request, store_id, version_id):
    principal = request.user
    store = get_store(principal, store_id, write=True)
    version = versions.redact_version(store=store, version_id=version_id, actor=principal.actor)
    return Response(render.memory_version(version, full=False))
