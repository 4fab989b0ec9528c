"""The workspace home: its memory stores, and store management (admin role)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from console.permissions import store_for, workspace_for
from console.views.auth import remember_workspace
from console.views.common import workspace_context
from memory import stores as store_ops
from memory.errors import ReverieError
from memory.models import Role


STORES_PER_PAGE = 50


@login_required
def workspace(request, workspace_id):
    """GET: the store list. POST (admin): create a store."""
    role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    ws = workspace_for(request, workspace_id, role=role)
    remember_workspace(request, ws)
    form = {"name": "", "description": ""}
    error = None
    if request.method == "POST":
        form = {"name": request.POST.get("name", "").strip(), "description": request.POST.get("description", "")}
        try:
            store = store_ops.create_store(workspace=ws, name=form["name"], description=form["description"])
        except ReverieError as exc:
            error = exc.message
        else:
            messages.success(request, f"Created memory store {store.name}.")
            return redirect("console:workspace", workspace_id=ws.id)
    # Active stores first, by name; the usage sums run for this page's stores only.
    page = Paginator(store_ops.with_usage(ws.memory_stores.order_by("archived_at", "name", "id")),
                     STORES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/workspace.html",
        workspace_context(request, ws, section="stores", stores=page.object_list, page=page, form=form,
                          error=error),
        status=400 if error else 200,
    )


@login_required
@require_POST
def archive_store(request, workspace_id, store_id):
    ws = workspace_for(request, workspace_id, role=Role.ADMIN)
    store = store_for(request, ws, store_id)
    store_ops.archive_store(store=store)
    messages.success(request, f"Archived memory store {store.name}.")
    return redirect("console:workspace", workspace_id=ws.id)
