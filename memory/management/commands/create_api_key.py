from django.core.management.base import BaseCommand, CommandError

from memory import identity
from memory.errors import ReverieError


class Command(BaseCommand):
    help = (
        "Create an API key and print its secret alone on the last line. Without --agent the key is a "
        "workspace admin key; with --agent it belongs to that agent (created if needed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A label for the key.")
        parser.add_argument("--agent", help="The agent's name; the key is limited to the agent's grants.")
        parser.add_argument("--workspace", default="default", help="Workspace name (created if missing).")

    def handle(self, *args, name, agent, workspace, **options):
        try:
            ws = identity.get_or_create_workspace(name=workspace)
            owner = identity.get_or_create_agent(workspace=ws, name=agent) if agent is not None else None
            issued = identity.issue_api_key(workspace=ws, name=name, agent=owner)
        except ReverieError as exc:
            raise CommandError(exc.message) from None
        kind = f"agent {owner.name} ({owner.id})" if owner is not None else "workspace admin"
        self.stderr.write(f"Created {kind} key {issued.key.id} in workspace {ws.name} ({ws.id}).")
        self.stderr.write("The secret is shown once; store it now.")
        self.stdout.write(issued.secret)
