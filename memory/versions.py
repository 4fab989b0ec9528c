"""Reading and redacting versions. Redaction is the one change history allows:
it empties a version's content and path, and keeps who wrote it and when."""

from django.db import transaction
from django.utils import timezone

from memory.access import Actor
from memory.blobs import collect_garbage_safely
from memory.errors import NotFound
from memory.models import MemoryStore, MemoryVersion


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
