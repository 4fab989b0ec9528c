"""Who may see and do what in the console.

One helper fetches the workspace and checks the user's role in the same step, so
no view can forget either half. A workspace the user is not a member of answers
404 (its existence does not leak); a role that is too low answers 403. A viewer
can never POST, whatever the view asks for.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from memory.access import Actor, Principal, get_store
from memory.errors import NotFound
from memory.identity import user_public_id
from memory.models import Membership, MemoryStore, Role, Workspace

ROLE_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def workspace_for(request, workspace_id: str, role: str = Role.VIEWER) -> Workspace:
    """The workspace, with `.role` set to the user's role in it; 404 or 403 otherwise."""
    workspace = Workspace.objects.filter(id=workspace_id).first()
    if workspace is None:
        raise Http404("No such workspace.")
    if request.user.is_superuser:
        user_role = Role.ADMIN
    else:
        user_role = (
            Membership.objects.filter(workspace=workspace, user=request.user).values_list("role", flat=True).first()
        )
        if user_role is None:
            raise Http404("No such workspace.")
    required = role
    if request.method == "POST" and ROLE_RANK[Role(required)] < ROLE_RANK[Role.OPERATOR]:
        required = Role.OPERATOR
    if ROLE_RANK[Role(user_role)] < ROLE_RANK[Role(required)]:
        raise PermissionDenied(f"This needs the {required} role in workspace {workspace.name}.")
    workspace.role = user_role
    return workspace


def workspaces_of(user):
    """The workspaces a user can switch to: their memberships, or all of them for a superuser."""
    if user.is_superuser:
        return Workspace.objects.order_by("name")
    return Workspace.objects.filter(memberships__user=user).order_by("name")


def principal_for(request, workspace: Workspace) -> Principal:
    """A console user acts as an admin principal of the workspace (the role check is ours)."""
    return Principal(workspace=workspace, user_id=user_public_id(request.user))


def actor_for(request) -> Actor:
    return Actor(user_id=user_public_id(request.user))


def store_for(request, workspace: Workspace, store_id: str) -> MemoryStore:
    """A store of this workspace, through the same lookup as the API; 404 for any other."""
    try:
        return get_store(principal_for(request, workspace), store_id)
    except NotFound:
        raise Http404("No such memory store.") from None


def can(workspace: Workspace, role: str) -> bool:
    return ROLE_RANK[Role(workspace.role)] >= ROLE_RANK[Role(role)]
