"""The workspace's model provider: which key its dreams use; admins set or remove the workspace's own.

The key goes one way, into the database encrypted: no response renders it, not even the form
that refused it (its field comes back empty), and `sensitive_post_parameters` masks it in
Django's error reports.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from console.permissions import actor_for, workspace_for
from console.views.common import workspace_context
from dreams import credentials
from memory.errors import ReverieError
from memory.models import Role


@sensitive_post_parameters("api_key")
@never_cache
@login_required
def model_key(request, workspace_id):
    """GET: how dreams here reach a model. POST (admin): save the workspace's key and base URL."""
    role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    ws = workspace_for(request, workspace_id, role=role)
    access = credentials.describe_model_access(ws)
    base_url = access.base_url if access.base_url_source == "workspace" else ""
    error = None
    if request.method == "POST":
        base_url = request.POST.get("base_url", "").strip()
        try:
            credentials.set_model_key(workspace=ws, api_key=request.POST.get("api_key", ""), base_url=base_url or None,
                                      actor=actor_for(request))
        except ReverieError as exc:
            error = exc.message
        else:
            messages.success(request, "Saved the workspace's model key. Dreams here use it from now on.")
            return redirect("console:model_key", workspace_id=ws.id)
    return render(request, "console/model_key.html", workspace_context(
        request, ws, section="model", access=access, base_url=base_url, error=error,
    ), status=400 if error else 200)


@never_cache
@login_required
def model_key_remove(request, workspace_id):
    """GET: ask to confirm. POST (admin): remove the workspace's key; removing none changes nothing."""
    ws = workspace_for(request, workspace_id, role=Role.ADMIN)
    if request.method == "POST":
        if credentials.clear_model_key(workspace=ws, actor=actor_for(request)):
            messages.success(request, "Removed the workspace's model key.")
        return redirect("console:model_key", workspace_id=ws.id)
    return render(request, "console/model_key_remove.html", workspace_context(
        request, ws, section="model", access=credentials.describe_model_access(ws),
    ))
