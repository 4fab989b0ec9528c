"""What every store page needs: breadcrumbs, the folder of a path, and the shared template context."""

from console.permissions import can, workspaces_of
from memory.models import Role


def breadcrumbs(prefix: str) -> list[tuple[str, str]]:
    """[(label, prefix)] from the root to `prefix` ('/a/b/' gives '/', 'a', 'b')."""
    crumbs = [("/", "/")]
    so_far = "/"
    for segment in [s for s in prefix.split("/") if s]:
        so_far += segment + "/"
        crumbs.append((segment, so_far))
    return crumbs


def folder_of(path: str) -> str:
    return path.rsplit("/", 1)[0] + "/"


def text_field(data, name: str) -> str:
    """A textarea's value as the user typed it. Browsers send textarea line breaks as CRLF
    (the HTML form encoding rules); stored text keeps the LF that agents write, so a
    console edit does not turn every line of a memory into a changed line."""
    return data.get(name, "").replace("\r\n", "\n")


def workspace_context(request, ws, **extra) -> dict:
    """Context for a workspace-level page; `section` marks the current tab of the top nav."""
    return {
        "workspace": ws,
        "workspaces": workspaces_of(request.user),
        "can_operate": can(ws, Role.OPERATOR),
        "can_admin": can(ws, Role.ADMIN),
        **extra,
    }


def store_context(request, ws, store, **extra) -> dict:
    """Context for a page inside a store; `store_section` (default "browse") marks the store nav tab."""
    context = workspace_context(
        request, ws, store=store, section="stores", store_section="browse",
        can_write=can(ws, Role.OPERATOR) and store.archived_at is None,
    )
    context.update(extra)
    return context
