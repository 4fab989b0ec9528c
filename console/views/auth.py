"""Choosing a workspace: the switcher links to each workspace page, which remembers it in the session. Sign in and out are Django's own auth views (console/urls_console.py)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from console.permissions import workspaces_of
from memory.models import MemoryStore

SESSION_KEY = "console_workspace_id"


@login_required
@require_safe
def home(request):
    """Send the user to the workspace they last used, else the first one holding a store."""
    workspaces = sorted(workspaces_of(request.user).annotate(has_stores=Exists(
        MemoryStore.objects.filter(workspace=OuterRef("pk")))), key=lambda w: not w.has_stores)
    remembered = request.session.get(SESSION_KEY)
    for workspace in workspaces:
        if workspace.id == remembered:
            return redirect("console:workspace", workspace_id=workspace.id)
    if workspaces:
        return redirect("console:workspace", workspace_id=workspaces[0].id)
    return render(request, "console/no_workspace.html")


def remember_workspace(request, workspace) -> None:
    request.session[SESSION_KEY] = workspace.id


