"""Reading, restoring and redacting versions. Redaction is the one change history allows:
it empties a version's content and path, and keeps who wrote it and when."""

from django.db import transaction
from django.utils import timezone

from memory.access import Actor
from memory.blobs import collect_garbage_safely, read_blob
from memory.errors import InvalidRequest, NotFound
from memory.models import Memory, MemoryStore, MemoryVersion
from memory.store import create_memory, update_memory


def get_version(*, store: MemoryStore, version_id: str, with_content: bool = False) -> MemoryVersion:
    versions = MemoryVersion.objects.filter(store=store, id=version_id)
    if with_content:
        versions = versions.select_related("blob")
    version = versions.first()
    if version is None:
        raise NotFound(f"Memory version {version_id!r} not found in memory store {store.id!r}.")
    return version


def redact_version(*, store: MemoryStore, version_id: str, actor: Actor) -> MemoryVersion:
    """Redacting twice returns the version unchanged. The memory itself keeps its content."""
    with transaction.atomic():
        version = MemoryVersion.objects.select_for_update().filter(store=store, id=version_id).first()
        if version is None:
            raise NotFound(f"Memory version {version_id!r} not found in memory store {store.id!r}.")
        if version.redacted_at is not None:
            return version
        dropped = version.blob_id
        version.redacted_at = timezone.now()
        version.redacted_by = actor.as_json()
        version.path = None
        version.blob_id = None
        version.size_bytes = None
        version.save(update_fields=["redacted_at", "redacted_by", "path", "blob", "size_bytes"])
    if dropped:
        transaction.on_commit(lambda: collect_garbage_safely([dropped]))
    return version


def restore_refusal(version: MemoryVersion) -> str | None:
    """Why this version's content cannot be restored, or None when it can."""
    if version.redacted_at is not None:
        return "This version was redacted: its content is gone and cannot be restored."
    if version.blob_id is None:
        return "This version records a deletion: it has no content to restore."
    return None


def restore_version(*, store: MemoryStore, memory_id: str, version_id: str, actor: Actor,
                    expected_sha256: str | None = None) -> Memory:
    """Write an old version's content as a new version: history is never rewritten.

    A live memory keeps its path and needs `expected_sha256`, the content the caller
    saw (PreconditionFailed when someone wrote since). A deleted memory comes back
    under its own id, at the version's path (Conflict when a new memory took it).
    """
    version = MemoryVersion.objects.select_related("blob").filter(store=store, memory_id=memory_id,
                                                                  id=version_id).first()
    if version is None:
        raise NotFound(f"Memory version {version_id!r} of memory {memory_id!r} not found.")
    refusal = restore_refusal(version)
    if refusal:
        raise InvalidRequest(refusal)
    content = read_blob(version.blob)
    if not Memory.objects.filter(store=store, id=memory_id).exists():
        return create_memory(store=store, path=version.path, content=content, actor=actor, memory_id=memory_id)
    if not expected_sha256:
        raise InvalidRequest("`expected_sha256` is required: the sha256 of the content being replaced.")
    return update_memory(store=store, memory_id=memory_id, actor=actor, content=content,
                         expected_sha256=expected_sha256)
