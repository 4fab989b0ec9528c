"""A store's settings page: name, description, default agent access, and its numbers (admin edits)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from console.permissions import store_for, workspace_for
from console.views.common import store_context
from memory import stores as store_ops
from memory.errors import ReverieError
from memory.models import Access, MemoryStore, Role


def store_stats(store) -> dict:
    usage = store_ops.with_usage(MemoryStore.objects.filter(pk=store.pk)).values("total_bytes", "last_change").get()
    return {"memory_count": store.memory_count, "total_bytes": usage["total_bytes"],
            "last_change": usage["last_change"] or store.updated_at}


@login_required
def store_settings(request, workspace_id, store_id):
    """GET: the settings and numbers. POST (admin): save name, description and default agent access."""
    role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    ws = workspace_for(request, workspace_id, role=role)
    store = store_for(request, ws, store_id)
    form = {"name": store.name, "description": store.description, "default_agent_access": store.default_agent_access}
    error = None
    if request.method == "POST":
        form = {
            "name": request.POST.get("name", "").strip(),
            "description": request.POST.get("description", ""),
            "default_agent_access": request.POST.get("default_agent_access", ""),
        }
        try:
            store = store_ops.update_store(store=store, name=form["name"], description=form["description"],
                                           default_agent_access=form["default_agent_access"])
        except ReverieError as exc:
            error = exc.message
        else:
            messages.success(request, f"Saved the settings of {store.name}.")
            return redirect("console:store_edit", workspace_id=ws.id, store_id=store.id)
    return render(request, "console/store_settings.html", store_context(
        request, ws, store, store_section="settings", form=form, error=error, stats=store_stats(store),
        access_choices=Access.choices,
    ), status=400 if error else 200)
