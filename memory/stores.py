"""Memory store lifecycle and the grants that say which agent may touch which store."""

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from memory import validation
from memory.blobs import collect_garbage_safely
from memory.errors import InvalidRequest, NotFound
from memory.models import Access, Agent, Grant, Memory, MemoryStore, MemoryVersion, Workspace

ACCESS_VALUES = [choice.value for choice in Access]


def validate_access(value, *, field: str) -> str:
    if value not in ACCESS_VALUES:
        raise InvalidRequest(f"`{field}` must be one of {', '.join(ACCESS_VALUES)}.")
    return value


def create_store(
    *,
    workspace: Workspace,
    name,
    description=None,
    metadata=None,
    default_agent_access=Access.NO_ACCESS,
) -> MemoryStore:
    validation.validate_name(name)
    description = validation.validate_description(description)
    metadata = validation.merge_metadata({}, metadata if metadata is not None else {})
    validate_access(default_agent_access, field="default_agent_access")
    now = timezone.now()
    return MemoryStore.objects.create(
        workspace=workspace,
        name=name,
        description=description,
        metadata=metadata,
        default_agent_access=default_agent_access,
        created_at=now,
        updated_at=now,
    )


_UNSET = object()


def update_store(
    *, store: MemoryStore, name=_UNSET, description=_UNSET, metadata=_UNSET, default_agent_access=_UNSET
) -> MemoryStore:
    """Patch a store. `None` for name/metadata/default means no change; for description it clears."""
    with transaction.atomic():
        store = MemoryStore.objects.select_for_update().get(pk=store.pk)
        if store.archived_at is not None:
            raise InvalidRequest(f"Memory store {store.id!r} is archived and cannot be updated.")
        changed = False
        if name is not _UNSET and name is not None:
            validation.validate_name(name)
            changed |= name != store.name
            store.name = name
        if description is not _UNSET:
            description = validation.validate_description(description)
            changed |= description != store.description
            store.description = description
        if metadata is not _UNSET and metadata is not None:
            merged = validation.merge_metadata(store.metadata, metadata)
            changed |= merged != store.metadata
            store.metadata = merged
        if default_agent_access is not _UNSET and default_agent_access is not None:
            validate_access(default_agent_access, field="default_agent_access")
            changed |= default_agent_access != store.default_agent_access
            store.default_agent_access = default_agent_access
        if changed:
            store.updated_at = timezone.now()
            store.save()
    return store


def archive_store(*, store: MemoryStore) -> MemoryStore:
    """Irreversible; archiving an archived store returns it unchanged."""
    now = timezone.now()
    MemoryStore.objects.filter(pk=store.pk, archived_at__isnull=True).update(archived_at=now, updated_at=now)
    store.refresh_from_db()
    return store


def delete_store(*, store: MemoryStore) -> None:
    """Remove the store with every memory and version, then the content no one else shares."""
    with transaction.atomic():
        shas = set(MemoryVersion.objects.filter(store=store).values_list("blob_id", flat=True).distinct())
        shas |= set(Memory.objects.filter(store=store).values_list("blob_id", flat=True).distinct())
        # Raw deletes: no signals hang off these models, so Django deletes in bulk
        # instead of loading every row.
        MemoryVersion.objects.filter(store=store).delete()
        Memory.objects.filter(store=store).delete()
        Grant.objects.filter(store=store).delete()
        store.delete()
    collect_garbage_safely(shas)


def list_grants(*, store: MemoryStore):
    return Grant.objects.filter(store=store).select_related("agent").order_by("agent__name", "agent_id")


def set_grant(*, store: MemoryStore, agent_id, access) -> Grant:
    """Create or replace one agent's access to one store."""
    if not isinstance(agent_id, str) or not agent_id:
        raise InvalidRequest("`agent_id` is required and must be a string.")
    validate_access(access, field="access")
    agent = Agent.objects.filter(workspace_id=store.workspace_id, id=agent_id).first()
    if agent is None:
        raise NotFound(f"Agent {agent_id!r} not found.")
    grant, _ = Grant.objects.update_or_create(store=store, agent=agent, defaults={"access": access})
    grant.agent = agent
    return grant


def remove_grant(*, store: MemoryStore, agent_id) -> bool:
    """Drop one agent's grant so the store's default_agent_access applies again; False if there was none."""
    if not isinstance(agent_id, str) or not agent_id:
        raise InvalidRequest("`agent_id` is required and must be a string.")
    if not Agent.objects.filter(workspace_id=store.workspace_id, id=agent_id).exists():
        raise NotFound(f"Agent {agent_id!r} not found.")
    deleted, _ = Grant.objects.filter(store=store, agent_id=agent_id).delete()
    return bool(deleted)


def with_usage(stores):
    """Annotate each store with `total_bytes` (its memories' sizes) and `last_change` (its newest
    version's time). The sum reads the store's memory rows along the (store, path) index and the
    last change is one seek on (store, -seq): pages that list stores pay per store shown, not more."""
    total = (Memory.objects.filter(store=OuterRef("pk")).order_by().values("store")
             .annotate(total=Sum("size_bytes")).values("total"))
    newest = MemoryVersion.objects.filter(store=OuterRef("pk")).order_by("-seq").values("created_at")[:1]
    return stores.annotate(total_bytes=Coalesce(Subquery(total), 0), last_change=Subquery(newest))
