from django.core.management.base import BaseCommand, CommandError

from dreams.credentials import reencrypt_model_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every workspace's model key under the current REVERIE_ENCRYPTION_KEY (or SECRET_KEY). "
        "Run it after moving the old value to REVERIE_ENCRYPTION_OLD_KEYS; then the old value can be dropped."
    )

    def handle(self, *args, **options):
        done, unreadable = reencrypt_model_keys()
        self.stdout.write(f"Re-encrypted {done} model key(s).")
        if unreadable:
            raise CommandError(f"{unreadable} model key(s) cannot be decrypted with any configured key; "
                               "their workspaces' admins must set them again.")
