import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from memory import identity
from memory.models import Role


class Command(BaseCommand):
    help = "First start: create the default workspace, an admin user and an admin API key, printing them once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        workspace = identity.get_or_create_workspace(name="default")
        if User.objects.exists():
            self.stdout.write("Reverie is already set up; sign in with your existing account.")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        identity.add_member(workspace=workspace, user=user, role=Role.ADMIN)
        issued = identity.issue_api_key(workspace=workspace, name="first admin key")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Reverie is set up. These are shown once; keep them now.",
                    f"  console login:  {username} / {password}",
                    f"  admin API key:  {issued.secret}",
                    "",
                ]
            )
        )
