"""Sessions and their events: the transcripts a dream reads (Managed Agents shapes).

A session's id is its public id and its primary key. Imported sessions keep the
id they came with (any `sesn_…` string), so one id names one session in the
whole Reverie: the same session cannot live in two workspaces.
"""

from django.db import models
from django.db.models import Q

from memory import ids
from memory.models import Agent, Workspace

__all__ = ["Session", "SessionStatus", "SessionEvent"]


def session_id() -> str:
    return ids.new_id("sesn")


def event_id() -> str:
    return ids.new_id("sevt")


class SessionStatus(models.TextChoices):
    RESCHEDULING = "rescheduling"
    RUNNING = "running"
    IDLE = "idle"
    TERMINATED = "terminated"


class Session(models.Model):
    id = models.CharField(primary_key=True, max_length=80, default=session_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sessions")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="sessions")
    # The agent snapshot as it came (version, model, tools…); id and name always come from `agent`.
    agent_snapshot = models.JSONField(default=dict)
    title = models.CharField(max_length=512, null=True)
    metadata = models.JSONField(default=dict)
    environment_id = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.IDLE)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    archived_at = models.DateTimeField(null=True)
    # The result of the last terminal `span.outcome_evaluation_end` event, kept up to date on append.
    outcome_result = models.CharField(max_length=64, null=True)
    # Reverie extension: a grade from 0 to 1, set by automation (dream eligibility filters on it).
    outcome_score = models.FloatField(null=True)
    # One entry per outcome, folded from define_outcome / outcome_evaluation events as they arrive.
    outcome_evaluations = models.JSONField(default=list)
    event_count = models.IntegerField(default=0)
    last_event_at = models.DateTimeField(null=True)
    created_by = models.JSONField(null=True)
    # Every other session field as it came (usage, stats, resources…), so an export round-trips.
    extra = models.JSONField(default=dict)

    class Meta:
        indexes = [
            # Lists page on (created_at, id) in either direction within a workspace or for one agent.
            models.Index(fields=["workspace", "created_at", "id"], name="session_workspace_created"),
            models.Index(fields=["agent", "created_at", "id"], name="session_agent_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome_score__isnull=True) | Q(outcome_score__gte=0, outcome_score__lte=1),
                name="session_outcome_score_0_to_1",
            ),
        ]

    def __str__(self):
        return self.id


class SessionEvent(models.Model):
    """One event as it was received. `seq` is the order of arrival; `payload` is the whole event."""

    seq = models.BigAutoField(primary_key=True)
    id = models.CharField(max_length=128, default=event_id)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=128)
    processed_at = models.DateTimeField(null=True)
    payload = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "id"], name="session_event_id_unique")]
        indexes = [
            # A transcript in order (both directions), and a transcript filtered by type.
            models.Index(fields=["session", "seq"], name="session_event_seq"),
            models.Index(fields=["session", "type", "seq"], name="session_event_type_seq"),
        ]
