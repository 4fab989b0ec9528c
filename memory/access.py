"""Who is asking, and what they may do with a memory store.

Every API view (and later every console view) goes through `get_store`, which
fetches the store within the caller's workspace and checks access in one query.
A store an agent cannot see answers 404 so that its existence does not leak;
a write to a store it can only read answers 403.
"""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from memory.errors import NotFound, PermissionDenied
from memory.models import Access, Agent, ApiKey, Grant, MemoryStore, Workspace


@dataclass(frozen=True)
class Actor:
    """Who a write is attributed to. A session write also records the key it came through."""

    api_key_id: str | None = None
    session_id: str | None = None
    user_id: str | None = None

    def as_json(self) -> dict | None:
        if self.session_id:
            return {"type": "session_actor", "session_id": self.session_id}
        if self.user_id:
            return {"type": "user_actor", "user_id": self.user_id}
        if self.api_key_id:
            return {"type": "api_actor", "api_key_id": self.api_key_id}
        return None


@dataclass
class Principal:
    """An authenticated caller: an admin (key or console user) or an agent."""

    workspace: Workspace
    agent: Agent | None = None
    api_key: ApiKey | None = None
    user_id: str | None = None
    session_id: str | None = None
    is_authenticated: bool = field(default=True, init=False)

    @property
    def is_admin(self) -> bool:
        return self.agent is None

    @property
    def actor(self) -> Actor:
        return Actor(
            api_key_id=self.api_key.id if self.api_key else None,
            session_id=self.session_id,
            user_id=self.user_id,
        )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("This operation requires a workspace admin key; agent keys cannot perform it.")


def effective_access(*, is_admin: bool, grant: str | None, default: str) -> str:
    if is_admin:
        return Access.READ_WRITE
    return grant or default


def stores_visible_to(principal: Principal):
    """Memory stores of the caller's workspace that the caller can at least read."""
    stores = MemoryStore.objects.filter(workspace=principal.workspace)
    if principal.is_admin:
        return stores
    stores = stores.annotate(grant_access=_grant_subquery(principal.agent))
    readable = [Access.READ_WRITE, Access.READ_ONLY]
    return stores.filter(grant_access__in=readable) | stores.filter(
        grant_access__isnull=True, default_agent_access__in=readable
    )


def get_store(principal: Principal, store_id: str, *, write: bool = False) -> MemoryStore:
    stores = MemoryStore.objects.filter(id=store_id, workspace=principal.workspace)
    if not principal.is_admin:
        stores = stores.annotate(grant_access=_grant_subquery(principal.agent))
    store = stores.first()
    if store is None:
        raise NotFound(f"Memory store {store_id!r} not found.")
    access = effective_access(
        is_admin=principal.is_admin,
        grant=getattr(store, "grant_access", None),
        default=store.default_agent_access,
    )
    if access == Access.NO_ACCESS:
        raise NotFound(f"Memory store {store_id!r} not found.")
    if write and access != Access.READ_WRITE:
        raise PermissionDenied(f"This key has read-only access to memory store {store_id!r}.")
    store.access = access
    return store


def _grant_subquery(agent: Agent):
    return Subquery(Grant.objects.filter(store=OuterRef("pk"), agent=agent).values("access")[:1])
