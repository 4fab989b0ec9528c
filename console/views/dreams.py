"""A store's dreams: the history list, the Dream form with its live session count,
the dream page with live progress, and cancel.

The form builds the same request body the API takes and calls
dreams.lifecycle.start_dream; every rule (model ids, budgets, session filters,
one in-place dream per store) is checked there and shown back on the form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from console.permissions import principal_for, store_for, workspace_for
from console.views.common import store_context, text_field
from console.views.review import dream_for, name_starters, progress_context, render_dream
from dreams import engines, lifecycle
from dreams.models import Dream, OutputBehavior, ReviewState, Session
from memory.cursors import keyset_page
from memory.errors import InvalidRequest, ReverieError
from memory.models import Agent, Role

HISTORY_PAGE = 25
RECENT_SESSIONS = 50  # the explicit selection lists this many newest sessions; older ones: use a filter
OUTCOMES = list(lifecycle.OUTCOME_RANK)


# --- history --------------------------------------------------------------------------------------------


@login_required
def store_dreams(request, workspace_id, store_id):
    """This store's dreams, newest first, with their change counts (one query per page)."""
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    queryset = Dream.objects.filter(workspace=ws, input_store=store).select_related("proposal").annotate(
        changes_proposed=Count("proposal__changes"),
        changes_applied=Count("proposal__changes", filter=Q(proposal__changes__review_state=ReviewState.APPLIED)),
    )
    status, error = 200, None
    try:
        rows, next_page = keyset_page(queryset, scope="console-dreams", token=request.GET.get("page") or None,
                                      limit=HISTORY_PAGE)
    except InvalidRequest as exc:
        rows, next_page, error, status = [], None, exc.message, 400
    name_starters(rows)
    context = store_context(request, ws, store, store_section="dreams", dreams=rows, next_page=next_page,
                            error=error)
    template = "console/dreams.html#history" if request.htmx else "console/dreams.html"
    return render(request, template, context, status=status)


# --- the form -------------------------------------------------------------------------------------------


def _form_from(request) -> dict:
    data = request.POST if request.method == "POST" else request.GET
    return {
        "mode": data.get("mode") or "filter",
        "agent_ids": data.getlist("agent_ids"),
        "created_after": data.get("created_after", "").strip(),
        "created_before": data.get("created_before", "").strip(),
        "min_outcome": data.get("min_outcome", ""),
        "min_score": data.get("min_score", "").strip(),
        "max_sessions": data.get("max_sessions", "").strip() or str(lifecycle.MAX_SESSION_IDS),
        "session_ids": data.getlist("session_ids"),
        "instructions": text_field(data, "instructions"),
        "model": data.get("model") or engines.DEFAULT_ENGINE,
        "budget_tokens": data.get("budget_tokens", "").strip(),
        "output_behavior": data.get("output_behavior") or OutputBehavior.CREATE_NEW,
    }


def _instant(value: str, label: str) -> str:
    """A datetime-local value (no zone) is read as UTC; anything else goes to the domain as typed."""
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed but impossible ("2026-13-45T10:00"): parse_datetime raises
        raise InvalidRequest(f"{label} is not a real date and time: {value!r}.") from None
    return value + "Z" if parsed is not None and parsed.tzinfo is None else value


# The largest value the database's integer columns hold (budget_tokens is a BigIntegerField).
MAX_INTEGER = 2**63 - 1


def _number(value: str, label: str, cast):
    if value == "":
        return None
    try:
        number = cast(value)
    except ValueError:
        raise InvalidRequest(f"{label} must be a number, not {value!r}.") from None
    if cast is int and abs(number) > MAX_INTEGER:
        raise InvalidRequest(f"{label} is too large.")
    return number


def session_filter_of(form) -> lifecycle.SessionFilter:
    """The session filter from the form fields; the domain checks every value."""
    max_sessions = _number(form["max_sessions"], "Max sessions", int)
    return lifecycle.SessionFilter(
        agent_ids=tuple(form["agent_ids"]),
        created_after=_instant(form["created_after"], "Created after") if form["created_after"] else None,
        created_before=_instant(form["created_before"], "Created before") if form["created_before"] else None,
        min_outcome=form["min_outcome"] or None,
        min_score=_number(form["min_score"], "Min score", float),
        max_sessions=lifecycle.MAX_SESSION_IDS if max_sessions is None else max_sessions,
    )


def count_sessions(ws, form) -> tuple[int | None, str | None]:
    """(how many sessions the form selects, or an error message)."""
    if form["mode"] == "selected":
        return len(set(form["session_ids"])), None
    try:
        return lifecycle.sessions_matching(workspace=ws, session_filter=session_filter_of(form)).count(), None
    except ReverieError as exc:
        return None, exc.message


def _form_context(request, ws, store, form, **extra) -> dict:
    count, count_error = count_sessions(ws, form)
    agents = Agent.objects.filter(workspace=ws).exclude(name=lifecycle.DREAMER_AGENT).order_by("name")[:200]
    recent = (Session.objects.filter(workspace=ws, archived_at__isnull=True)
              .exclude(agent__name=lifecycle.DREAMER_AGENT).select_related("agent")
              .order_by("-created_at", "-id")[:RECENT_SESSIONS])
    return store_context(
        request, ws, store, store_section="dreams", form=form, count=count, count_error=count_error,
        agents=agents, recent_sessions=recent, recent_limit=RECENT_SESSIONS, outcomes=OUTCOMES,
        models=engines.runnable_models(ws), behaviors=OutputBehavior, **extra,
    )


def _create(request, ws, store, form) -> Dream:
    session_ids = session_filter = None
    if form["mode"] == "selected":
        if not form["session_ids"]:
            raise InvalidRequest("Tick at least one session, or choose sessions with a filter.")
        session_ids = form["session_ids"]
    else:
        # The domain resolves the filter when the dream starts. One that matches nothing is
        # allowed, as in the API: the dream still works from the store alone (duplicates).
        session_filter = session_filter_of(form)
    return lifecycle.start_dream(
        principal=principal_for(request, ws), store_id=store.id, model_id=form["model"],
        session_ids=session_ids, session_filter=session_filter, instructions=form["instructions"] or None,
        output_behavior=form["output_behavior"], budget_tokens=_number(form["budget_tokens"], "Budget", int),
        trigger="console",
    )


@login_required
def dream_new(request, workspace_id, store_id):
    """GET: the form. POST with `preview`: the form again with its session count. POST: start the dream."""
    ws = workspace_for(request, workspace_id, role=Role.OPERATOR)
    store = store_for(request, ws, store_id)
    form = _form_from(request)
    error, status = None, 200
    if request.method == "POST" and "preview" not in request.POST:
        try:
            dream = _create(request, ws, store, form)
        except ReverieError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"Dream {dream.id} started.")
            return redirect("console:dream", workspace_id=ws.id, store_id=store.id, dream_id=dream.id)
    return render(request, "console/dream_form.html", _form_context(request, ws, store, form, error=error),
                  status=status)


@login_required
def dream_count(request, workspace_id, store_id):
    """The live count fragment of the form (GET with the form's fields)."""
    ws = workspace_for(request, workspace_id, role=Role.OPERATOR)
    store = store_for(request, ws, store_id)
    form = _form_from(request)
    count, count_error = count_sessions(ws, form)
    return render(request, "console/dream_form.html#count", store_context(
        request, ws, store, form=form, count=count, count_error=count_error,
    ))


# --- one dream ------------------------------------------------------------------------------------------


@login_required
def dream_detail(request, workspace_id, store_id, dream_id):
    ws, store, dream = dream_for(request, workspace_id, store_id, dream_id)
    return render_dream(request, ws, store, dream)


@login_required
def dream_progress(request, workspace_id, store_id, dream_id):
    """The polled progress fragment. Once the dream is terminal it answers with HX-Refresh,
    so htmx reloads the page (which then shows the review), and the fragment it sends
    carries no polling trigger, so polling stops either way."""
    ws, store, dream = dream_for(request, workspace_id, store_id, dream_id)
    if not request.htmx:
        return redirect("console:dream", workspace_id=ws.id, store_id=store.id, dream_id=dream.id)
    response = render(request, "console/dream.html#progress", store_context(
        request, ws, store, store_section="dreams", dream=dream, **progress_context(dream),
    ))
    if dream.is_terminal:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def dream_cancel(request, workspace_id, store_id, dream_id):
    ws, store, dream = dream_for(request, workspace_id, store_id, dream_id, role=Role.OPERATOR)
    try:
        dream = lifecycle.cancel_dream(dream=dream)
    except ReverieError as exc:
        return render_dream(request, ws, store, dream, error=exc.message, status=exc.status)
    messages.success(request, f"Dream {dream.id} is {dream.status}.")
    return redirect("console:dream", workspace_id=ws.id, store_id=store.id, dream_id=dream.id)


@login_required
@require_POST
def dream_rerun(request, workspace_id, store_id, dream_id):
    """A new dream with this one's inputs and settings (after a conflict, or over newer sessions)."""
    ws, store, dream = dream_for(request, workspace_id, store_id, dream_id, role=Role.OPERATOR)
    try:
        again = lifecycle.rerun_dream(principal=principal_for(request, ws), dream=dream)
    except ReverieError as exc:
        return render_dream(request, ws, store, dream, error=exc.message, status=exc.status)
    messages.success(request, f"Started dream {again.id} with the settings of {dream.id}.")
    return redirect("console:dream", workspace_id=ws.id, store_id=store.id, dream_id=again.id)
