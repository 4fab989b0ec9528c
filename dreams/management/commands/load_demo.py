from django.core.management.base import BaseCommand, CommandError

from dreams.demo.loader import DEMO_WORKSPACE, load_demo
from dreams.importers import ImportFailed
from memory.errors import ReverieError


class Command(BaseCommand):
    help = (
        "Load the demo workspace (a runbook store and 30 sessions of three SRE agents, with findings for a "
        "dream to make). Does nothing if a workspace with that name exists. `make run` calls it unless "
        "REVERIE_DEMO=0."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", default=DEMO_WORKSPACE)

    def handle(self, *args, workspace, **options):
        try:
            report = load_demo(workspace_name=workspace)
        except ReverieError as exc:
            raise CommandError(f"The demo could not be loaded: {exc.message}") from None
        except ImportFailed as exc:  # e.g. its session ids already live in another workspace
            raise CommandError(f"The demo could not be loaded: {exc}") from None
        if report is None:
            self.stdout.write(f"The {workspace!r} workspace already exists; the demo is not loaded again.")
            return
        self.stdout.write(f"Demo loaded: workspace {workspace!r}, store {report.store_id} with {report.memories} "
                          f"memories, {report.sessions} sessions.\n"
                          f"  demo API key:   {report.admin_key_secret}  (admin of the demo workspace; shown once)")
