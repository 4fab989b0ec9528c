"""A store's activity: its versions newest first, filtered, and who wrote each one.

The feed pages on `seq` along the (store, -seq) index; a session filter uses the
(store, session_id, -seq) index and an agent filter the (store, api_key_id, -seq)
index (an agent writes through its keys). Operation and time filters are applied
while walking (store, -seq): cheap for common operations and recent windows.
"""

from dataclasses import dataclass
from datetime import datetime

from memory.errors import InvalidRequest
from memory.listing import list_versions
from memory.models import ApiKey, ChangeSet, MemoryStore, Operation, UserIdentity, Workspace


@dataclass(frozen=True)
class Writer:
    """Who wrote a version, resolved for display. Any part may be missing."""

    api_key: ApiKey | None = None  # with .agent loaded (None for an admin key)
    user_name: str | None = None
    dream_id: str | None = None


def list_activity(
    *, store: MemoryStore, limit: int = 50, page: str | None = None, agent_id: str | None = None,
    session_id: str | None = None, operation: str | None = None, since: datetime | None = None,
    until: datetime | None = None,
):
    """Versions of the store, newest first. Returns (versions, next_page).

    `since` is inclusive and `until` exclusive. The cursor is bound to the filters,
    so a cursor of another filter set is refused rather than silently mis-paging.
    """
    if operation and operation not in Operation.values:
        raise InvalidRequest(f"`operation` must be one of {', '.join(Operation.values)}.")
    if since and until and since >= until:
        raise InvalidRequest("The start of the time range must come before its end.")
    keys = None
    if agent_id:  # an agent writes through its keys
        keys = list(ApiKey.objects.filter(workspace_id=store.workspace_id, agent_id=agent_id)
                    .values_list("id", flat=True))
    scope = "activity:" + "|".join(str(v or "") for v in (agent_id, session_id, operation,
                                                          since and since.isoformat(), until and until.isoformat()))
    return list_versions(store=store, limit=limit, page=page, operation=operation or None, api_key_ids=keys,
                         session_id=session_id or None, created_gte=since, created_lt=until, scope=scope)


def writers_of(*, workspace: Workspace, versions) -> dict[str, Writer]:
    """{version id: Writer} for a page of versions, in at most three queries whatever its length."""
    versions = list(versions)
    key_ids = {v.api_key_id for v in versions if v.api_key_id}
    user_ids = {v.user_id for v in versions if v.user_id}
    changeset_ids = {v.changeset_id for v in versions if v.changeset_id}
    keys = {k.id: k for k in ApiKey.objects.filter(workspace=workspace, id__in=key_ids).select_related("agent")} \
        if key_ids else {}
    users = dict(UserIdentity.objects.filter(id__in=user_ids).values_list("id", "user__username")) \
        if user_ids else {}
    # Dream approvals and rollbacks name their dream in the changeset (dreams/review.py).
    dreams = {cid: actor.get("dream_id") for cid, actor in
              ChangeSet.objects.filter(id__in=changeset_ids).values_list("id", "actor")
              if isinstance(actor, dict) and isinstance(actor.get("dream_id"), str)} if changeset_ids else {}
    return {
        v.id: Writer(api_key=keys.get(v.api_key_id), user_name=users.get(v.user_id),
                     dream_id=dreams.get(v.changeset_id))
        for v in versions
    }
