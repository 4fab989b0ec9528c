from django.db import models

from memory.models import Workspace

__all__ = ["ModelCredential"]


class ModelCredential(models.Model):
    """A workspace's own key for the model provider, used by its dreams instead of the server's.

    The key is stored encrypted (dreams/crypto.py) because it must be sent on; `key_hint` is
    the only part of it any page or response shows.
    """

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="model_credential")
    api_key_ciphertext = models.TextField()
    key_hint = models.CharField(max_length=16)
    # Not a URLField: its validator refuses hosts without a dot (`http://ollama:11434`), which
    # is just where a local model server lives. dreams/credentials.py checks the URL instead.
    base_url = models.CharField(max_length=2048, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.JSONField(null=True)

    def __repr__(self):
        # Keep the ciphertext out of tracebacks and debug output too.
        return f"<ModelCredential {self.workspace_id} {self.key_hint}>"
