"""Celery tasks: thin wrappers that take ids and call the domain.

Each imports the domain inside its body, so the domain can import this module to
enqueue work (after commit) without an import cycle: dependencies point one way,
domain → tasks (names only) and task body → domain.
"""

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="dreams.run_dream", acks_late=True, reject_on_worker_lost=True)
def run_dream(dream_id: str) -> str:
    from dreams import runner

    return runner.run_dream(dream_id)


@shared_task(name="dreams.reap_lost_dreams")
def reap_lost_dreams() -> dict:
    from dreams import states

    reaped = states.reap_lost()
    if reaped["failed"] or reaped["resent"]:
        log.warning("reaped %d lost dreams, re-sent %d pending", reaped["failed"], reaped["resent"])
    return reaped


@shared_task(name="dreams.start_scheduled_dream")
def start_scheduled_dream(store_id: str) -> str | None:
    from dreams import triggers

    return triggers.start_scheduled_dream(store_id)


@shared_task(name="dreams.note_session_ended")
def note_session_ended(session_id: str) -> list[str]:
    from dreams import triggers
    from dreams.models import Session

    session = Session.objects.filter(pk=session_id).select_related("agent").first()
    return triggers.note_session_ended(session) if session else []
