"""Reading and writing memories: the one place every write goes through.

The API, the console and dreams all call these functions. Each write is one
transaction that locks the memory row, checks preconditions against the
current sha256, and appends an immutable version with its actor.
"""

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from memory import paths, validation
from memory.access import Actor
from memory.blobs import put_blob
from memory.errors import InvalidRequest, NotFound, PathConflict, PreconditionFailed
from memory.models import Blob, ChangeSet, Memory, MemoryStore, MemoryVersion, Operation

SHA256_HEX = frozenset("0123456789abcdef")


def validate_sha256(value, *, field: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= SHA256_HEX:
        raise InvalidRequest(f"`{field}` must be a SHA-256 digest: 64 lowercase hexadecimal characters.")
    return value


def get_memory(*, store: MemoryStore, memory_id: str, with_content: bool = False) -> Memory:
    memories = Memory.objects.filter(store=store, id=memory_id)
    if with_content:
        memories = memories.select_related("blob")
    memory = memories.first()
    if memory is None:
        raise NotFound(f"Memory {memory_id!r} not found in memory store {store.id!r}.")
    return memory


def create_memory(
    *, store: MemoryStore, path: str, content, actor: Actor, changeset: ChangeSet | None = None,
    memory_id: str | None = None,
) -> Memory:
    """Create a memory. `memory_id` revives a deleted memory under its old id (rollbacks)."""
    paths.validate_path(path)
    content = validation.validate_content(content)
    _require_writable(store)
    _raise_if_occupied(store, path)
    try:
        with transaction.atomic():
            # The conditional increment both enforces the per-store limit and
            # serializes creates in one store against the limit (no count query).
            limit = settings.REVERIE_MAX_MEMORIES_PER_STORE
            grew = MemoryStore.objects.filter(pk=store.pk, memory_count__lt=limit).update(
                memory_count=F("memory_count") + 1
            )
            if not grew:
                raise InvalidRequest(f"Memory store {store.id!r} already holds the maximum of {limit} memories.")
            sha, size = put_blob(content)
            now = timezone.now()
            memory = Memory(store=store, path=path, blob_id=sha, size_bytes=size, created_at=now, updated_at=now)
            if memory_id is not None:
                memory.id = memory_id
            version = _version_for(memory, Operation.CREATED, actor, changeset, now)
            memory.head_version_id = version.id
            memory.save(force_insert=True)
            version.save(force_insert=True)
    except IntegrityError:
        # Another writer took the path between our check and our insert.
        _raise_if_occupied(store, path)
        raise
    memory.blob = _cached_blob(sha, content)
    return memory


def update_memory(
    *,
    store: MemoryStore,
    memory_id: str,
    actor: Actor,
    content=None,
    path=None,
    expected_sha256: str | None = None,
    changeset: ChangeSet | None = None,
) -> Memory:
    """Change content and/or path. An update that changes nothing writes no version."""
    if path is not None:
        paths.validate_path(path)
    if content is not None:
        content = validation.validate_content(content)
    _require_writable(store)
    try:
        with transaction.atomic():
            memory = Memory.objects.select_for_update().filter(store=store, id=memory_id).first()
            if memory is None:
                raise NotFound(f"Memory {memory_id!r} not found in memory store {store.id!r}.")
            _check_precondition(memory, expected_sha256, outcome="it changed since you read it")
            new_sha = memory.blob_id
            if content is not None:
                new_sha, size = put_blob(content)
                memory.size_bytes = size
            renamed = path is not None and path != memory.path
            if new_sha == memory.blob_id and not renamed:
                return memory
            if renamed:
                _raise_if_occupied(store, path)
                memory.path = path
            memory.blob_id = new_sha
            now = timezone.now()
            version = _version_for(memory, Operation.MODIFIED, actor, changeset, now)
            memory.head_version_id = version.id
            memory.updated_at = now
            memory.save()
            version.save(force_insert=True)
    except IntegrityError:
        if path is not None:
            _raise_if_occupied(store, path)
        raise
    if content is not None:
        memory.blob = _cached_blob(new_sha, content)
    return memory


def delete_memory(
    *,
    store: MemoryStore,
    memory_id: str,
    actor: Actor,
    expected_sha256: str | None = None,
    changeset: ChangeSet | None = None,
) -> Memory:
    with transaction.atomic():
        memory = Memory.objects.select_for_update().filter(store=store, id=memory_id).first()
        if memory is None:
            raise NotFound(f"Memory {memory_id!r} not found in memory store {store.id!r}.")
        _check_precondition(memory, expected_sha256, outcome="it was not deleted")
        now = timezone.now()
        version = _version_for(memory, Operation.DELETED, actor, changeset, now)
        version.blob_id = None
        version.size_bytes = None
        version.save(force_insert=True)
        memory.delete()
        memory.deleted_version_id = version.id
        MemoryStore.objects.filter(pk=store.pk).update(memory_count=F("memory_count") - 1)
    return memory


def fill_store(*, store: MemoryStore, files: list[tuple[str, str]], actor: Actor) -> int:
    """Create (path, content) memories in an empty store, each with a `created` version.

    For copies (a dream's output store starts as a copy of its input): content
    is upserted once per distinct text and rows go in with bulk inserts, so a
    2,000-memory copy costs a few statements instead of thousands of writes.
    Paths are not re-validated: they come from memories that passed the rules.
    """
    limit = settings.REVERIE_MAX_MEMORIES_PER_STORE
    if len(files) > limit:
        raise InvalidRequest(f"Memory store {store.id!r} can hold at most {limit} memories.")
    with transaction.atomic():
        store = MemoryStore.objects.select_for_update().get(pk=store.pk)
        if store.memory_count:
            raise InvalidRequest(f"Memory store {store.id!r} is not empty.")
        blobs = {}
        for _, content in files:
            data = content.encode("utf-8")
            digest = hashlib.sha256(data).hexdigest()
            blobs.setdefault(digest, Blob(sha256=digest, data=data, size_bytes=len(data)))
        Blob.objects.bulk_create(list(blobs.values()), batch_size=200, update_conflicts=True,
                                 unique_fields=["sha256"], update_fields=["size_bytes"])
        now = timezone.now()
        memories, versions = [], []
        for path, content in files:
            data = content.encode("utf-8")
            memory = Memory(store=store, path=path, blob_id=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                            created_at=now, updated_at=now)
            version = _version_for(memory, Operation.CREATED, actor, None, now)
            memory.head_version_id = version.id
            memories.append(memory)
            versions.append(version)
        Memory.objects.bulk_create(memories, batch_size=500)
        MemoryVersion.objects.bulk_create(versions, batch_size=500)
        MemoryStore.objects.filter(pk=store.pk).update(memory_count=len(memories))
    return len(memories)


def _check_precondition(memory: Memory, expected_sha256: str | None, *, outcome: str) -> None:
    if expected_sha256 is not None and memory.blob_id != expected_sha256:
        raise PreconditionFailed(
            f"Memory {memory.id!r} has content_sha256 {memory.blob_id}, not the expected {expected_sha256}; {outcome}.",
            extra={"current_content_sha256": memory.blob_id},
        )


def _version_for(memory: Memory, operation: str, actor: Actor, changeset, now) -> MemoryVersion:
    return MemoryVersion(
        store_id=memory.store_id,
        memory_id=memory.id,
        operation=operation,
        path=memory.path,
        blob_id=memory.blob_id,
        size_bytes=memory.size_bytes,
        created_at=now,
        api_key_id=actor.api_key_id,
        session_id=actor.session_id,
        user_id=actor.user_id,
        changeset=changeset,
    )


def _require_writable(store: MemoryStore) -> None:
    if store.archived_at is not None:
        raise InvalidRequest(f"Memory store {store.id!r} is archived; its memories cannot be created or updated.")


def _raise_if_occupied(store: MemoryStore, path: str) -> None:
    occupant = Memory.objects.filter(store=store, path=path).values_list("id", flat=True).first()
    if occupant is not None:
        raise PathConflict(
            f"A memory already exists at path {path!r} in memory store {store.id!r}.",
            extra={"conflicting_memory_id": occupant, "conflicting_path": path},
        )


def _cached_blob(sha: str, content: str) -> Blob:
    """The blob a write just stored, so the response can render content without re-reading it."""
    data = content.encode("utf-8")
    return Blob(sha256=sha, data=data, size_bytes=len(data))
