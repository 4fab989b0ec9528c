"""Dreams that start themselves: after N eligible sessions end, and on a cron schedule.

Schedules live in django-celery-beat's tables, so an operator can change them
at run time and every beat process picks the change up.
"""

import json
import logging

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from dreams import lifecycle
from dreams.models import DreamPolicy, OutputBehavior
from memory.access import Principal, effective_access
from memory.errors import Conflict, InvalidRequest, ReverieError
from memory.models import Access, Grant

log = logging.getLogger(__name__)
MAX_AFTER_SESSIONS = 100


def set_policy(*, store, model_id=None, instructions=None, output_behavior=None, after_sessions=None,
               min_outcome=None, cron=None) -> DreamPolicy:
    """Replace the store's policy. `None` turns a trigger off."""
    if after_sessions is not None and (isinstance(after_sessions, bool) or not isinstance(after_sessions, int)
                                       or not 1 <= after_sessions <= MAX_AFTER_SESSIONS):
        raise InvalidRequest(f"`after_sessions` must be an integer from 1 to {MAX_AFTER_SESSIONS}, or null.")
    if min_outcome is not None and min_outcome not in lifecycle.OUTCOME_RANK:
        raise InvalidRequest(f"`min_outcome` must be one of {', '.join(lifecycle.OUTCOME_RANK)}, or null.")
    if output_behavior is not None and output_behavior not in OutputBehavior.values:
        raise InvalidRequest("`output_behavior` must be `create_new` or `update_existing`.")
    model_id = model_id or "reverie-offline"
    if not isinstance(model_id, str) or not 1 <= len(model_id) <= 256:
        raise InvalidRequest("`model_id` must be a model id of 1 to 256 characters.")
    # A schedule that could never start a dream is refused now.
    lifecycle.check_runnable_model(model_id, workspace=store.workspace)
    lifecycle.check_instructions(instructions)
    fields = _parse_cron(cron) if cron is not None else None
    with transaction.atomic():
        policy, _ = DreamPolicy.objects.select_for_update().get_or_create(store=store)
        policy.model_id = model_id
        policy.instructions = instructions
        policy.output_behavior = output_behavior or OutputBehavior.CREATE_NEW
        policy.after_sessions = after_sessions
        policy.min_outcome = min_outcome
        if after_sessions is None:
            policy.pending_session_ids = []
        policy.cron = cron
        if fields is None:
            if policy.periodic_task_id:
                PeriodicTask.objects.filter(pk=policy.periodic_task_id).delete()
            policy.periodic_task = None
        else:
            schedule, _ = CrontabSchedule.objects.get_or_create(**fields, timezone="UTC")
            task, _ = PeriodicTask.objects.update_or_create(
                name=f"dream schedule for {store.id}",
                defaults={"task": "dreams.start_scheduled_dream", "crontab": schedule, "interval": None,
                          "args": json.dumps([store.id]), "enabled": True},
            )
            policy.periodic_task = task
        policy.save()
    return policy


def _parse_cron(cron) -> dict:
    if not isinstance(cron, str) or len(cron.split()) != 5:
        raise InvalidRequest("`cron` must have five fields: minute hour day-of-month month day-of-week.")
    minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
    from celery.schedules import ParseException, crontab

    try:
        crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                day_of_week=day_of_week)
    except (ParseException, ValueError) as exc:
        raise InvalidRequest(f"`cron` is not a valid schedule: {exc}") from None
    return {"minute": minute, "hour": hour, "day_of_month": day_of_month, "month_of_year": month_of_year,
            "day_of_week": day_of_week}


def note_session_ended(session) -> list[str]:
    """Count an ended session toward the policies of the stores its agent can read; start due dreams."""
    started = []
    if session.agent.name == lifecycle.DREAMER_AGENT:
        return started  # a dream's own session never triggers another dream
    policies = DreamPolicy.objects.filter(store__workspace_id=session.workspace_id, after_sessions__isnull=False,
                                          store__archived_at__isnull=True).select_related("store")
    grants = dict(Grant.objects.filter(agent_id=session.agent_id).values_list("store_id", "access"))
    for policy in policies:
        access = effective_access(is_admin=False, grant=grants.get(policy.store_id),
                                  default=policy.store.default_agent_access)
        if access == Access.NO_ACCESS:
            continue
        if policy.min_outcome and lifecycle.OUTCOME_RANK.get(session.outcome_result or "", -1) < \
                lifecycle.OUTCOME_RANK[policy.min_outcome]:
            continue
        dream_id = _count_session(policy.pk, session.id)
        if dream_id:
            started.append(dream_id)
    return started


def _count_session(policy_pk: int, session_id: str) -> str | None:
    with transaction.atomic():
        policy = DreamPolicy.objects.select_for_update().select_related("store__workspace").get(pk=policy_pk)
        if session_id in policy.pending_session_ids:
            return None
        pending = policy.pending_session_ids + [session_id]
        if len(pending) < policy.after_sessions:
            policy.pending_session_ids = pending
            policy.save(update_fields=["pending_session_ids", "updated_at"])
            return None
        dream = _start(policy, inputs_sessions=pending, trigger="session_end")
        policy.pending_session_ids = [] if dream else pending
        policy.save(update_fields=["pending_session_ids", "last_dream", "last_triggered_at", "updated_at"])
        return dream.id if dream else None


def start_scheduled_dream(store_id: str) -> str | None:
    with transaction.atomic():
        policy = DreamPolicy.objects.select_for_update().select_related("store__workspace").filter(
            store_id=store_id).first()
        if policy is None or policy.store.archived_at is not None:
            return None
        dream = _start(policy, inputs_sessions=None, trigger="schedule")
        policy.save(update_fields=["last_dream", "last_triggered_at", "updated_at"])
        return dream.id if dream else None


def _start(policy: DreamPolicy, *, inputs_sessions, trigger: str):
    store = policy.store
    session_filter = None
    if not inputs_sessions:
        session_filter = lifecycle.SessionFilter(
            created_after=policy.last_triggered_at.isoformat() if policy.last_triggered_at else None,
            min_outcome=policy.min_outcome or None,
        )
    system = Principal(workspace=store.workspace)
    try:
        dream = lifecycle.start_dream(
            principal=system, store_id=store.id, model_id=policy.model_id,
            session_ids=inputs_sessions[-lifecycle.MAX_SESSION_IDS:] if inputs_sessions else None,
            session_filter=session_filter, instructions=policy.instructions,
            output_behavior=policy.output_behavior, trigger=trigger,
        )
    except Conflict:
        log.info("store %s already has an in-place dream running; %s trigger skipped", store.id, trigger)
        return None
    except ReverieError as exc:
        log.warning("could not start %s dream for store %s: %s", trigger, store.id, exc.message)
        return None
    policy.last_dream = dream
    policy.last_triggered_at = timezone.now()
    return dream
