from celery import shared_task
from django.db.models import Exists, OuterRef

from memory.blobs import collect_garbage
from memory.models import Blob, Memory, MemoryVersion


@shared_task(name="memory.sweep_orphan_blobs")
def sweep_orphan_blobs(batch_size: int = 1000) -> int:
    """Delete content no memory or version references.

    Redaction and store deletion collect their own garbage right after commit;
    this sweep catches what a process killed in between left behind.
    """
    orphans = (
        Blob.objects.annotate(
            in_memory=Exists(Memory.objects.filter(blob_id=OuterRef("pk"))),
            in_version=Exists(MemoryVersion.objects.filter(blob_id=OuterRef("pk"))),
        )
        .filter(in_memory=False, in_version=False)
        .values_list("sha256", flat=True)
    )
    removed, after = 0, ""
    # Walk forward by key: blobs other apps still hold (the database refuses
    # their deletion) must not be offered again and again.
    while batch := list(orphans.filter(sha256__gt=after).order_by("sha256")[:batch_size]):
        removed += collect_garbage(batch)
        after = batch[-1]
    return removed
