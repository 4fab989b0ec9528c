"""A dream's state machine: claim, finish, cancel and reap, in one place.

    pending ──claim──▶ running ──finish──▶ completed | failed
       │                  │
       └──────cancel──────┴──▶ canceled          running ──reap──▶ failed (worker_lost)

Every transition is a conditional UPDATE on the current status, so a cancel racing the
worker, a double click, a redelivered task or the reaper can never move a dream out of a
terminal state; a transition the current status does not allow raises IllegalTransition.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dreams import tasks
from dreams.models import ACTIVE_STATUSES, Dream, DreamStatus
from memory.errors import InvalidRequest

FINISHED = (DreamStatus.COMPLETED, DreamStatus.FAILED)
REAP_RESEND_LIMIT = 100


class IllegalTransition(InvalidRequest):
    """The dream is not in a status the transition starts from (400 at the API: the hosted API
    answers 400 to a cancel of a completed dream)."""

    def __init__(self, dream_id: str, current: str | None, action: str):
        self.current = current
        state = f"is already {current}" if current else "no longer exists"
        super().__init__(f"Dream {dream_id!r} {state} and cannot be {action}.")


def _move(dream_id: str, *, sources, target: str, action: str, **fields) -> None:
    if not Dream.objects.filter(pk=dream_id, status__in=sources).update(status=target, **fields):
        current = Dream.objects.filter(pk=dream_id).values_list("status", flat=True).first()
        raise IllegalTransition(dream_id, current, action)


def claim(dream_id: str) -> None:
    """pending → running, by the one task that gets there first."""
    now = timezone.now()
    _move(dream_id, sources=[DreamStatus.PENDING], target=DreamStatus.RUNNING, action="started",
          started_at=now, heartbeat_at=now)


def finish(dream_id: str, *, status: str, error: dict | None = None) -> None:
    """running → completed or failed. Raises when the dream was canceled or reaped meanwhile."""
    if status not in FINISHED:
        raise ValueError(f"a dream finishes as completed or failed, not {status}")
    _move(dream_id, sources=[DreamStatus.RUNNING], target=status, action=f"marked {status}",
          error=error, ended_at=timezone.now())


def cancel(dream: Dream) -> Dream:
    """pending/running → canceled. Already canceled: unchanged. Completed or failed: IllegalTransition."""
    try:
        _move(dream.pk, sources=ACTIVE_STATUSES, target=DreamStatus.CANCELED, action="canceled",
              ended_at=timezone.now())
    except IllegalTransition as exc:
        if exc.current != DreamStatus.CANCELED:
            raise
    dream.refresh_from_db()
    return dream


def is_canceled(dream_id: str) -> bool:
    return Dream.objects.filter(pk=dream_id, status=DreamStatus.CANCELED).exists()


def reap_lost() -> dict:
    """Fail running dreams whose worker went silent; re-send pending ones the broker may have lost.

    A running dream's heartbeat is written at least every few seconds while its engine
    works (also while it waits on a model call), so silence past
    REVERIE_DREAM_HEARTBEAT_TIMEOUT means its worker died. Re-sending a pending dream is
    harmless: only one task can claim it.
    """
    now = timezone.now()
    silent_since = now - timedelta(seconds=settings.REVERIE_DREAM_HEARTBEAT_TIMEOUT)
    failed = Dream.objects.filter(status=DreamStatus.RUNNING, heartbeat_at__lt=silent_since).update(
        status=DreamStatus.FAILED, ended_at=now,
        error={"type": "worker_lost", "message": "The worker running this dream stopped responding; "
               "nothing was applied. Start the dream again."},
    )
    stuck = list(Dream.objects.filter(status=DreamStatus.PENDING, created_at__lt=silent_since)
                 .values_list("id", flat=True)[:REAP_RESEND_LIMIT])
    for dream_id in stuck:
        enqueue(dream_id)
    return {"failed": failed, "resent": len(stuck)}


def enqueue(dream_id: str) -> None:
    """Send the dream to a worker once the transaction that made it commits."""
    transaction.on_commit(lambda: tasks.run_dream.delay(dream_id))
