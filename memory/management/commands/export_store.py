from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from memory import transfer
from memory.errors import ReverieError
from memory.models import MemoryStore


class Command(BaseCommand):
    help = (
        "Write a memory store out as a directory tree: the memory /a/b.md becomes DIR/a/b.md with the memory's "
        "exact bytes. DIR must be missing or empty; nothing is written if the store cannot be laid out as files."
    )

    def add_arguments(self, parser):
        parser.add_argument("store_id", metavar="STORE_ID")
        parser.add_argument("directory", metavar="DIR")

    def handle(self, *args, store_id, directory, **options):
        store = MemoryStore.objects.filter(pk=store_id).first()
        if store is None:
            raise CommandError(f"Memory store {store_id!r} not found.")
        try:
            written = transfer.export_store(store=store, root=Path(directory))
        except ReverieError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Wrote {written} memories of store {store.id} ({store.name}) to {directory}.")
