from django.conf import settings
from django.db import models

from memory import ids


class Access(models.TextChoices):
    READ_WRITE = "read_write"
    READ_ONLY = "read_only"
    NO_ACCESS = "no_access"


class Role(models.TextChoices):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


class Operation(models.TextChoices):
    CREATED = "created"
    MODIFIED = "modified"
    DELETED = "deleted"



class PathField(models.CharField):
    """A path compared in code-point order on every database.

    PostgreSQL gets the "C" collation so that range scans on the (store, path)
    index (prefix listing, depth roll-ups) match Python's ordering; SQLite's
    default BINARY collation already compares UTF-8 bytes, which is code-point order.
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class Workspace(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=ids.workspace_id, editable=False)
    name = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A console user's role in one workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique")]


class Agent(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=ids.agent_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="agents")
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=1024, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="agent_name_unique")]

    def __str__(self):
        return self.name


class ApiKey(models.Model):
    """An admin key (agent is null) or an agent's key. Only the secret's hash is kept."""

    id = models.CharField(primary_key=True, max_length=40, default=ids.api_key_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=255)
    secret_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_admin(self) -> bool:
        return self.agent_id is None


class MemoryStore(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=ids.store_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memory_stores")
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=1024, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    default_agent_access = models.CharField(max_length=16, choices=Access.choices, default=Access.NO_ACCESS)
    # Kept in step with memory rows in the same transaction; a conditional
    # increment enforces the per-store limit without counting rows.
    memory_count = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at", "-id"], name="store_workspace_created")]

    def __str__(self):
        return self.name


class Grant(models.Model):
    store = models.ForeignKey(MemoryStore, on_delete=models.CASCADE, related_name="grants")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="grants")
    access = models.CharField(max_length=16, choices=Access.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "agent"], name="grant_unique")]


class Blob(models.Model):
    """Content stored once, keyed by its sha256, shared by memories and versions."""

    sha256 = models.CharField(primary_key=True, max_length=64)
    # Raw UTF-8 bytes: memories may hold NUL characters, which PostgreSQL text refuses.
    data = models.BinaryField()
    size_bytes = models.IntegerField()


class ChangeSet(models.Model):
    """Versions written together (an approval, a rollback, a bulk edit)."""

    id = models.CharField(primary_key=True, max_length=40, default=ids.changeset_id, editable=False)
    store = models.ForeignKey(MemoryStore, on_delete=models.CASCADE, related_name="changesets")
    actor = models.JSONField()
    message = models.CharField(max_length=1024, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)


class Memory(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=ids.memory_id, editable=False)
    store = models.ForeignKey(MemoryStore, on_delete=models.CASCADE, related_name="memories")
    path = PathField(max_length=1024)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", db_column="content_sha256")
    size_bytes = models.IntegerField()
    # The head version; kept as a plain id (no join needed to render a memory).
    head_version_id = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        # The unique (store, path) index serves uniqueness, prefix range scans and depth roll-ups.
        constraints = [models.UniqueConstraint(fields=["store", "path"], name="memory_path_unique")]

    @property
    def content_sha256(self) -> str:
        return self.blob_id


class MemoryVersion(models.Model):
    """An immutable record of one change. Redaction nulls the content fields only."""

    # seq orders versions exactly as written (ids made in the same millisecond
    # by two processes would not); cursors page on it.
    seq = models.BigAutoField(primary_key=True)
    id = models.CharField(max_length=40, unique=True, default=ids.version_id, editable=False)
    store = models.ForeignKey(MemoryStore, on_delete=models.CASCADE, related_name="versions")
    # Versions outlive their memory, so this is a plain id, not a foreign key.
    memory_id = models.CharField(max_length=40)
    operation = models.CharField(max_length=16, choices=Operation.choices)
    path = PathField(max_length=1024, null=True)
    blob = models.ForeignKey(
        Blob, null=True, on_delete=models.PROTECT, related_name="+", db_column="content_sha256"
    )
    size_bytes = models.IntegerField(null=True)
    created_at = models.DateTimeField()
    # Attribution. A session write records the key it came through too.
    api_key_id = models.CharField(max_length=40, null=True)
    session_id = models.CharField(max_length=80, null=True)
    user_id = models.CharField(max_length=40, null=True)
    changeset = models.ForeignKey(ChangeSet, null=True, on_delete=models.SET_NULL, related_name="versions")
    redacted_at = models.DateTimeField(null=True)
    redacted_by = models.JSONField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["store", "-seq"], name="version_store_seq"),
            models.Index(fields=["memory_id", "-seq"], name="version_memory_seq"),
            models.Index(fields=["store", "api_key_id", "-seq"], name="version_store_key"),
            models.Index(fields=["store", "session_id", "-seq"], name="version_store_session"),
            # The activity feed filtered to one operation (deletions are rare) or a time window.
            models.Index(fields=["store", "operation", "-seq"], name="version_store_operation"),
            models.Index(fields=["store", "created_at"], name="version_store_created"),
        ]


class UserIdentity(models.Model):
    """The public `user_…` id a console user is attributed with."""

    id = models.CharField(primary_key=True, max_length=40, default=ids.user_id, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity")
