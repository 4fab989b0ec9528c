"""/v1/memory_stores: the store lifecycle, plus grants (admin keys only)."""

from rest_framework.decorators import api_view
from rest_framework.response import Response

from memory import stores
from memory.access import get_store, stores_visible_to
from memory.api import params, render
from memory.cursors import keyset_page
from memory.errors import InvalidRequest


@api_view(["GET", "POST"])
def memory_stores(request):
    principal = request.user
    if request.method == "POST":
        principal.require_admin()
        data = request.data
        if "name" not in data:
            raise InvalidRequest("`name` is required.")
        store = stores.create_store(
            workspace=principal.workspace,
            name=data.get("name"),
            description=data.get("description"),
            metadata=data.get("metadata"),
            default_agent_access=data.get("default_agent_access") or "no_access",
        )
        return Response(render.memory_store(store))

    queryset = stores_visible_to(principal)
    if not params.get_bool(request, "include_archived"):
        queryset = queryset.filter(archived_at__isnull=True)
    if since := params.get_datetime(request, "created_at[gte]"):
        queryset = queryset.filter(created_at__gte=since)
    if until := params.get_datetime(request, "created_at[lte]"):
        queryset = queryset.filter(created_at__lte=until)
    rows, next_page = keyset_page(
        queryset, scope="memory_stores", token=params.get_str(request, "page"), limit=params.get_limit(request)
    )
    return Response(render.page([render.memory_store(s) for s in rows], next_page))


@api_view(["GET", "POST", "PATCH", "DELETE"])
def memory_store(request, store_id):
    principal = request.user
    store = get_store(principal, store_id)
    if request.method == "GET":
        return Response(render.memory_store(store))
    principal.require_admin()
    if request.method == "DELETE":
        stores.delete_store(store=store)
        return Response({"type": "memory_store_deleted", "id": store_id})
    data = request.data
    fields = {k: data[k] for k in ("name", "description", "metadata", "default_agent_access") if k in data}
    store = stores.update_store(store=store, **fields)
    return Response(render.memory_store(store))


@api_view(["POST"])
def archive(request, store_id):
    principal = request.user
    store = get_store(principal, store_id)
    principal.require_admin()
    return Response(render.memory_store(stores.archive_store(store=store)))


@api_view(["GET", "POST"])
def grants(request, store_id):
    principal = request.user
    store = get_store(principal, store_id)
    principal.require_admin()
    if request.method == "POST":
        grant = stores.set_grant(store=store, agent_id=request.data.get("agent_id"), access=request.data.get("access"))
        return Response(render.grant(grant))
    rows, next_page = keyset_page(
        stores.list_grants(store=store), scope=f"grants:{store.id}",
        token=params.get_str(request, "page"), limit=params.get_limit(request),
    )
    return Response(render.page([render.grant(g) for g in rows], next_page))
