"""Celery tasks: thin wrappers that take ids and call the domain."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from dreams import runner
from dreams.models import Dream, DreamStatus

log = logging.getLogger(__name__)


@shared_task(name="dreams.run_dream", acks_late=True, reject_on_worker_lost=True)
def run_dream(dream_id: str) -> str:
    return runner.run_dream(dream_id)


@shared_task(name="dreams.reap_lost_dreams")
def reap_lost_dreams() -> dict:
    """Fail running dreams whose worker went silent; re-send pending ones the broker may have lost.

    A running dream's heartbeat is written at least every few seconds while its
    engine works, so silence past REVERIE_DREAM_HEARTBEAT_TIMEOUT means its worker died.
    Re-sending a pending dream is harmless: only one task can claim it.
    """
    now = timezone.now()
    silent_since = now - timedelta(seconds=settings.REVERIE_DREAM_HEARTBEAT_TIMEOUT)
    failed = Dream.objects.filter(status=DreamStatus.RUNNING, heartbeat_at__lt=silent_since).update(
        status=DreamStatus.FAILED, ended_at=now,
        error={"type": "worker_lost", "message": "The worker running this dream stopped responding; "
               "nothing was applied. Start the dream again."},
    )
    stuck = list(Dream.objects.filter(status=DreamStatus.PENDING, created_at__lt=silent_since)
                 .values_list("id", flat=True)[:100])
    for dream_id in stuck:
        run_dream.delay(dream_id)
    if failed or stuck:
        log.warning("reaped %d lost dreams, re-sent %d pending", failed, len(stuck))
    return {"failed": failed, "resent": len(stuck)}


@shared_task(name="dreams.start_scheduled_dream")
def start_scheduled_dream(store_id: str) -> str | None:
    from dreams import triggers

    return triggers.start_scheduled_dream(store_id)


@shared_task(name="dreams.note_session_ended")
def note_session_ended(session_id: str) -> list[str]:
    from dreams import triggers
    from dreams.models import Session

    session = Session.objects.filter(pk=session_id).first()
    return triggers.note_session_ended(session) if session else []
