from django.db import models
from django.db.models import Q

from memory import ids
from memory.models import Blob, ChangeSet, MemoryStore, PathField, Workspace

__all__ = ["Dream", "DreamPolicy", "ACTIVE_STATUSES", "TERMINAL_STATUSES", "DreamStatus", "OutputBehavior", "Proposal", "ProposalStatus", "ProposedChange",
           "ChangeOperation", "ChangeCategory", "ReviewState", "SessionDigest"]


def dream_id() -> str:
    return ids.new_id("drm")


def proposal_id() -> str:
    return ids.new_id("prop")


def change_id() -> str:
    return ids.new_id("pchg")


class DreamStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


ACTIVE_STATUSES = (DreamStatus.PENDING, DreamStatus.RUNNING)
TERMINAL_STATUSES = (DreamStatus.COMPLETED, DreamStatus.FAILED, DreamStatus.CANCELED)


class OutputBehavior(models.TextChoices):
    CREATE_NEW = "create_new"
    UPDATE_EXISTING = "update_existing"


class Dream(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=dream_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="dreams")
    input_store = models.ForeignKey(MemoryStore, on_delete=models.CASCADE, related_name="dreams")
    # Sorted, as the API echoes them. With a session filter they are filled in when the dream starts.
    session_ids = models.JSONField(default=list)
    session_filter = models.JSONField(null=True)
    model_id = models.CharField(max_length=256)
    model_speed = models.CharField(max_length=16, default="standard")
    # The engine that runs (or ran) the dream, chosen from the model when it was created.
    engine = models.CharField(max_length=64, default="")
    instructions = models.TextField(null=True)
    output_behavior = models.CharField(max_length=16, choices=OutputBehavior.choices)
    output_store = models.ForeignKey(
        MemoryStore, null=True, on_delete=models.SET_NULL, related_name="produced_by_dreams"
    )
    budget_tokens = models.BigIntegerField(null=True)
    status = models.CharField(max_length=16, choices=DreamStatus.choices, default=DreamStatus.PENDING)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_creation_input_tokens = models.BigIntegerField(default=0)
    cache_read_input_tokens = models.BigIntegerField(default=0)
    error = models.JSONField(null=True)
    # The session the dream runs as: its events record what it read and wrote.
    session_id = models.CharField(max_length=80, null=True)
    progress = models.JSONField(default=dict)
    created_by = models.JSONField(null=True)
    trigger = models.CharField(max_length=32, default="api")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    # Bumped while the engine works; a running dream whose heartbeat stops was
    # lost with its worker and is failed by the reaper.
    heartbeat_at = models.DateTimeField(null=True)
    ended_at = models.DateTimeField(null=True)
    archived_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="dream_workspace_created"),
            models.Index(fields=["status", "heartbeat_at"], name="dream_status_heartbeat"),
        ]
        constraints = [
            # At most one in-place dream per store may be pending or running.
            models.UniqueConstraint(
                fields=["input_store"],
                condition=Q(output_behavior="update_existing", status__in=["pending", "running"]),
                name="one_active_update_existing_dream_per_store",
            ),
        ]

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class ProposalStatus(models.TextChoices):
    OPEN = "open"
    APPLIED = "applied"
    PARTIALLY_APPLIED = "partially_applied"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled_back"


class Proposal(models.Model):
    """The diff a dream proposes against the base it read."""

    id = models.CharField(primary_key=True, max_length=40, default=proposal_id, editable=False)
    dream = models.OneToOneField(Dream, on_delete=models.CASCADE, related_name="proposal")
    store = models.ForeignKey(MemoryStore, on_delete=models.CASCADE, related_name="proposals")
    status = models.CharField(max_length=24, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    summary = models.TextField(blank=True, default="")
    applied_changeset = models.ForeignKey(ChangeSet, null=True, on_delete=models.SET_NULL, related_name="+")
    rollback_changeset = models.ForeignKey(ChangeSet, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True)
    reviewed_by = models.JSONField(null=True)
    rolled_back_at = models.DateTimeField(null=True)


class ChangeOperation(models.TextChoices):
    CREATE = "create"
    MODIFY = "modify"
    DELETE = "delete"
    RENAME = "rename"


class ChangeCategory(models.TextChoices):
    PATTERN = "pattern"
    DEDUP = "dedup"
    STALE = "stale"
    VERIFY = "verify"
    OTHER = "other"


class ReviewState(models.TextChoices):
    PENDING = "pending"
    REJECTED = "rejected"
    APPLIED = "applied"
    CONFLICT = "conflict"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_REFUSED = "rollback_refused"


class ProposedChange(models.Model):
    seq = models.BigAutoField(primary_key=True)
    id = models.CharField(max_length=40, unique=True, default=change_id, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="changes")
    operation = models.CharField(max_length=16, choices=ChangeOperation.choices)
    category = models.CharField(max_length=16, choices=ChangeCategory.choices)
    rationale = models.CharField(max_length=500)
    evidence = models.JSONField(default=list)
    # The base: what the memory was when the dream started (null for creates).
    memory_id = models.CharField(max_length=40, null=True)
    base_path = PathField(max_length=1024, null=True)
    base_sha256 = models.CharField(max_length=64, null=True)
    base_version_id = models.CharField(max_length=40, null=True)
    # The result: path after the change and its content (null for deletes).
    path = PathField(max_length=1024, null=True)
    blob = models.ForeignKey(Blob, null=True, on_delete=models.PROTECT, related_name="+", db_column="content_sha256")
    # What a reviewer should look at before approving: [{type, message}] (dreams/guards.py).
    # A change with warnings is never applied without a person's approval.
    warnings = models.JSONField(default=list)
    review_state = models.CharField(max_length=24, choices=ReviewState.choices, default=ReviewState.PENDING)
    review_note = models.CharField(max_length=1024, blank=True, default="")
    applied_version_id = models.CharField(max_length=40, null=True)
    applied_memory_id = models.CharField(max_length=40, null=True)
    rollback_version_id = models.CharField(max_length=40, null=True)

    class Meta:
        indexes = [models.Index(fields=["proposal", "seq"], name="change_proposal_seq")]


class DreamPolicy(models.Model):
    """When a store dreams on its own: after N new eligible sessions end, and/or on a cron schedule."""

    store = models.OneToOneField(MemoryStore, on_delete=models.CASCADE, related_name="dream_policy")
    model_id = models.CharField(max_length=256, default="reverie-offline")
    instructions = models.TextField(null=True)
    output_behavior = models.CharField(max_length=16, choices=OutputBehavior.choices,
                                       default=OutputBehavior.CREATE_NEW)
    # Dream after this many eligible sessions have ended (null: no session-end trigger).
    after_sessions = models.IntegerField(null=True)
    # Sessions that must have reached at least this outcome to count (null: any).
    min_outcome = models.CharField(max_length=32, null=True)
    pending_session_ids = models.JSONField(default=list)
    cron = models.CharField(max_length=120, null=True)
    periodic_task = models.OneToOneField("django_celery_beat.PeriodicTask", null=True, on_delete=models.SET_NULL,
                                         related_name="+")
    last_dream = models.ForeignKey(Dream, null=True, on_delete=models.SET_NULL, related_name="+")
    last_triggered_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)


class SessionDigest(models.Model):
    """A model's digest of one session, reused by later dreams over the same content.

    `key` hashes the session's events, the model, the prompt version and the instructions
    (dreams/engines/claude/digest.py), so an edited session or new instructions digest afresh."""

    key = models.CharField(max_length=64, primary_key=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=80)
    model_id = models.CharField(max_length=256)
    digest = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["session_id"], name="digest_session")]
