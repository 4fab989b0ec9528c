"""/v1/memory_stores/{id}/memories: what agents read and write."""

from rest_framework.decorators import api_view
from rest_framework.response import Response

from memory import store as memory_store
from memory.access import get_store
from memory.api import params, render
from memory.errors import InvalidRequest
from memory.listing import list_memories


@api_view(["GET", "POST"])
def memories(request, store_id):
    principal = request.user
    if request.method == "POST":
        view = params.get_view(request, default="basic")
        store = get_store(principal, store_id, write=True)
        data = request.data
        if "path" not in data:
            raise InvalidRequest("`path` is required.")
        if "content" not in data:
            raise InvalidRequest("`content` is required.")
        memory = memory_store.create_memory(
            store=store, path=data["path"], content=data["content"], actor=principal.actor
        )
        return Response(render.memory(memory, full=view == "full"))

    store = get_store(principal, store_id)
    view = params.get_view(request, default="basic")
    limit = params.get_limit(request)
    if view == "full":
        limit = min(limit, params.MAX_FULL_PAGE)
    items, next_page = list_memories(
        store=store,
        prefix=request.query_params.get("path_prefix", "/"),
        depth=params.get_int(request, "depth", default=0),
        limit=limit,
        page=params.get_str(request, "page"),
        with_content=view == "full",
    )
    return Response(render.page([render.memory_list_item(i, full=view == "full") for i in items], next_page))


@api_view(["GET", "POST", "PATCH", "DELETE"])
def memory(request, store_id, memory_id):
    principal = request.user
    if request.method == "GET":
        view = params.get_view(request, default="full")
        store = get_store(principal, store_id)
        item = memory_store.get_memory(store=store, memory_id=memory_id, with_content=view == "full")
        return Response(render.memory(item, full=view == "full"))

    if request.method == "DELETE":
        # Present-but-empty is malformed, not "no precondition": a client whose
        # baseline went missing must not delete unconditionally.
        expected = request.query_params.get("expected_content_sha256")
        if expected is not None:
            memory_store.validate_sha256(expected, field="expected_content_sha256")
        store = get_store(principal, store_id, write=True)
        memory_store.delete_memory(store=store, memory_id=memory_id, actor=principal.actor, expected_sha256=expected)
        return Response({"type": "memory_deleted", "id": memory_id})

    view = params.get_view(request, default="basic")
    data = request.data
    expected = _precondition(data.get("precondition"))
    store = get_store(principal, store_id, write=True)
    item = memory_store.update_memory(
        store=store,
        memory_id=memory_id,
        actor=principal.actor,
        content=data.get("content"),
        path=data.get("path"),
        expected_sha256=expected,
    )
    if view == "full" and "blob" not in item._state.fields_cache:
        # A rename or no-op did not load the content; read it for the full view.
        item = memory_store.get_memory(store=store, memory_id=memory_id, with_content=True)
    return Response(render.memory(item, full=view == "full"))


def _precondition(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest("`precondition` must be an object like {\"type\": \"content_sha256\", \"content_sha256\": …}.")
    if value.get("type") != "content_sha256":
        raise InvalidRequest("`precondition.type` must be `content_sha256`.")
    return memory_store.validate_sha256(value.get("content_sha256"), field="precondition.content_sha256")
