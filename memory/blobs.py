"""Content-addressed storage: each distinct content is stored once, keyed by sha256."""

import hashlib
import logging

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef

from memory.models import Blob, Memory, MemoryVersion

log = logging.getLogger(__name__)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def sha256_of(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def put_blob(content: str) -> tuple[str, int]:
    """Store `content` (if new) and return (sha256, size in bytes).

    The upsert takes a row lock on an existing blob, so a concurrent garbage
    collection either waits for this transaction or fails on the foreign key;
    it can never delete a blob a write is about to reference.
    """
    data = content.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    Blob.objects.bulk_create(
        [Blob(sha256=digest, data=data, size_bytes=len(data))],
        update_conflicts=True,
        unique_fields=["sha256"],
        update_fields=["size_bytes"],
    )
    return digest, len(data)


def read_blob(blob: Blob) -> str:
    return bytes(blob.data).decode("utf-8")


def collect_garbage(shas) -> int:
    """Delete the given blobs that no memory and no version references any more.

    Runs in its own transaction after the change that dropped the references;
    a blob a concurrent write took back is kept (the foreign key refuses the delete).
    """
    removed = 0
    shas = list(dict.fromkeys(s for s in shas if s))
    for start in range(0, len(shas), 500):
        batch = shas[start : start + 500]
        unreferenced = (
            Blob.objects.filter(sha256__in=batch)
            .annotate(
                in_memory=Exists(Memory.objects.filter(blob_id=OuterRef("pk"))),
                in_version=Exists(MemoryVersion.objects.filter(blob_id=OuterRef("pk"))),
            )
            .filter(in_memory=False, in_version=False)
        )
        candidates = list(unreferenced.values_list("sha256", flat=True))
        try:
            removed += _raw_delete(candidates)
        except IntegrityError:
            # Something else (a concurrent write, a dream's proposal) still holds one of
            # them: the database's foreign keys say which. Retry one by one.
            for sha in candidates:
                try:
                    removed += _raw_delete([sha])
                except IntegrityError:
                    log.info("blob %s is still referenced; kept", sha)
    return removed


def _raw_delete(shas: list[str]) -> int:
    """Delete without Django's collector: the database's foreign keys, not a Python
    scan of every referencing model, decide whether a blob is still in use."""
    if not shas:
        return 0
    with transaction.atomic():
        queryset = Blob.objects.filter(sha256__in=shas)
        return queryset._raw_delete(queryset.db)


def collect_garbage_safely(shas) -> None:
    """Post-commit cleanup: a failure is logged, never raised, since the change it follows has
    committed; the periodic sweep removes whatever is left."""
    try:
        collect_garbage(shas)
    except DatabaseError:
        log.exception("blob cleanup failed; the periodic sweep will retry")
