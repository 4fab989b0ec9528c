from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from memory import identity, transfer
from memory.errors import ReverieError


class Command(BaseCommand):
    help = (
        "Load a directory tree of UTF-8 text files as a new memory store: DIR/a/b.md becomes the memory /a/b.md, "
        "byte for byte. Every file is checked first; if any cannot be a memory (not UTF-8, a path the memory "
        "rules refuse, too big, a symbolic link) nothing is written and every problem is listed. Prints the new "
        "store's id on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument("--name", required=True, help="The new store's name.")
        parser.add_argument("--description", help="The new store's description.")
        parser.add_argument("--workspace", default="default", help="Workspace name (created if missing).")

    def handle(self, *args, directory, name, description, workspace, **options):
        try:
            ws = identity.get_or_create_workspace(name=workspace)
            store = transfer.import_directory(workspace=ws, root=Path(directory), name=name, description=description)
        except ReverieError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(f"Imported {store.memory_count} memories from {directory} into store {store.name!r} "
                          f"in workspace {ws.name}.")
        self.stdout.write(store.id)
