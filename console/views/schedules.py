"""A store's dream schedule: the cron trigger and the after-N-sessions trigger (admin edits, others read).

Both go through dreams.triggers.set_policy, the function the API calls, which keeps
django-celery-beat's PeriodicTask in step; an empty field turns its trigger off.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from console.permissions import store_for, workspace_for
from console.views.common import store_context, text_field
from dreams import engines, lifecycle, triggers
from dreams.models import DreamPolicy, OutputBehavior
from memory.errors import InvalidRequest, ReverieError
from memory.models import Role


def next_run(policy: DreamPolicy | None):
    """When beat will next fire the cron trigger (computed from the crontab, no extra query)."""
    if policy is None or policy.periodic_task is None or not policy.periodic_task.enabled:
        return None
    crontab = policy.periodic_task.crontab
    if crontab is None:
        return None
    now = timezone.now()
    at = now + crontab.schedule.remaining_estimate(now)
    return (at + timedelta(seconds=30)).replace(second=0, microsecond=0)  # the estimate lands a hair early


def _form_of(policy: DreamPolicy | None) -> dict:
    return {
        "cron": (policy.cron if policy else None) or "",
        "after_sessions": (policy.after_sessions if policy else None) or "",
        "min_outcome": (policy.min_outcome if policy else None) or "",
        "model_id": policy.model_id if policy else engines.OFFLINE,
        "instructions": (policy.instructions if policy else None) or "",
        "output_behavior": policy.output_behavior if policy else OutputBehavior.CREATE_NEW,
    }


def _read_form(post) -> dict:
    form = {name: post.get(name, "").strip() for name in ("cron", "after_sessions", "min_outcome", "model_id",
                                                          "output_behavior")}
    form["instructions"] = text_field(post, "instructions")
    return form


def _policy_arguments(form: dict) -> dict:
    """The keyword arguments for set_policy; InvalidRequest for what only the form can get wrong."""
    after = form["after_sessions"]
    if after and not after.isdigit():
        raise InvalidRequest("Run after N ended sessions must be a whole number from 1 to "
                             f"{triggers.MAX_AFTER_SESSIONS}, or empty for off.")
    model_id = form["model_id"] or engines.OFFLINE
    return {
        "cron": " ".join(form["cron"].split()) or None,
        "after_sessions": int(after) if after else None,
        "min_outcome": form["min_outcome"] or None,
        "model_id": model_id,
        "instructions": form["instructions"] if form["instructions"].strip() else None,
        "output_behavior": form["output_behavior"] or None,
    }


@login_required
def store_schedule(request, workspace_id, store_id):
    """GET: the store's triggers and when the next scheduled dream runs. POST (admin): replace them."""
    role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    ws = workspace_for(request, workspace_id, role=role)
    store = store_for(request, ws, store_id)
    policy = DreamPolicy.objects.select_related("periodic_task__crontab").filter(store=store).first()
    form, error, status = _form_of(policy), None, 200
    if request.method == "POST":
        form = _read_form(request.POST)
        try:
            if store.archived_at is not None:
                raise InvalidRequest(f"Memory store {store.name} is archived; its schedule cannot change.")
            triggers.set_policy(store=store, **_policy_arguments(form))
        except ReverieError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"Saved the dream schedule of {store.name}.")
            return redirect("console:store_schedule", workspace_id=ws.id, store_id=store.id)
    return render(request, "console/schedule.html", store_context(
        request, ws, store, store_section="schedule", policy=policy, form=form, error=error,
        next_run=next_run(policy), outcomes=list(lifecycle.OUTCOME_RANK), behaviors=OutputBehavior.choices,
        models=engines.runnable_models(ws), max_after=triggers.MAX_AFTER_SESSIONS,
    ), status=status)
