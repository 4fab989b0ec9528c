"""One dream's page: what it did, its proposal, and approve / reject / rollback.

Every rule lives in dreams/review.py and dreams/lifecycle.py, the functions the
API calls; these views parse the form, call them, and say what happened. Every
string from a proposal (paths, rationale, contents, evidence) came from agent
transcripts: templates auto-escape it, and evidence URLs are built here with
reverse() and percent-encoding, never by string pasting in templates.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from console.permissions import actor_for, principal_for, store_for, workspace_for
from console.views.common import store_context
from dreams import guards, lifecycle, review
from dreams.models import ChangeCategory, Dream, ReviewState, SessionEvent
from memory.blobs import read_blob
from memory.diff import diff_texts
from memory.errors import NotFound, ReverieError
from memory.models import Blob, Role, UserIdentity

CHANGES_PER_PAGE = 50
# One line per category, shown under its heading, for an operator new to dreams.
CATEGORY_HELP = {
    "pattern": "Something agents worked out again and again in their sessions, written down once.",
    "dedup": "The same fact kept in several memories: one copy stays, the others go.",
    "stale": "A command or fact that stopped working in recent sessions, replaced by what worked instead.",
    "verify": "Facts that sessions confirmed, marked with when and in which session.",
    "other": "Changes that fit none of the kinds above.",
}
# What each guard's warning means, for the reviewer (dreams/guards.py).
WARNING_HELP = {
    "untrusted_source": "repeats text from a tool result or a user message, where anyone can plant an instruction",
    "fact_removed": "drops a fact that is kept nowhere else in the store and that no finding retires",
    "no_evidence": "cites no event of the dream's sessions",
}
MAX_REFUSALS_SHOWN = 100
# Categories in the order the review shows them (pattern, dedup, stale, verify, other).
_CATEGORY_ORDER = Case(*[When(category=c, then=Value(i)) for i, c in enumerate(ChangeCategory.values)],
                       default=Value(len(ChangeCategory.values)), output_field=IntegerField())
RECENT_ACTIVITY = 8


def dream_for(request, workspace_id, store_id, dream_id, *, role=Role.VIEWER):
    """(workspace, store, dream), 404 for a dream of another store or workspace."""
    ws = workspace_for(request, workspace_id, role=role)
    store = store_for(request, ws, store_id)
    try:
        dream = lifecycle.get_dream(principal=principal_for(request, ws), dream_id=dream_id)
    except NotFound:
        raise Http404("No such dream.") from None
    if dream.input_store_id != store.id:
        raise Http404("No such dream.")
    return ws, store, dream


def render_dream(request, ws, store, dream: Dream, *, error: str | None = None, status: int = 200,
                 template: str = "console/dream.html"):
    name_starters([dream])
    return render(request, template, store_context(
        request, ws, store, store_section="dreams", dream=dream, error=error,
        **progress_context(dream),
        **review_context(ws, store, dream, request.GET.get("changes"), warning=request.GET.get("warning") or None),
    ), status=status)


def name_starters(dreams) -> None:
    """Set `.who` on each dream: the console user's name, else the key or session that started it."""
    ids = {d.created_by.get("user_id") for d in dreams if isinstance(d.created_by, dict)} - {None}
    users = dict(UserIdentity.objects.filter(id__in=ids).values_list("id", "user__username")) if ids else {}
    for dream in dreams:
        by = dream.created_by if isinstance(dream.created_by, dict) else {}
        if by.get("user_id"):
            dream.who = users.get(by["user_id"], by["user_id"])
        else:
            dream.who = by.get("api_key_id") or by.get("session_id") or "—"


# --- progress -------------------------------------------------------------------------------------------


def progress_context(dream: Dream) -> dict:
    end = dream.ended_at or timezone.now()
    elapsed = int((end - (dream.started_at or dream.created_at)).total_seconds())
    return {
        "elapsed": _duration(max(elapsed, 0)),
        "activity": _activity(dream) if dream.session_id else [],
        "session_count": len(dream.session_ids),
    }


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def _activity(dream: Dream) -> list[str]:
    """The last things the dream read and wrote, newest first, from its own session's events."""
    lines = []
    for event_type, payload in (SessionEvent.objects.filter(session_id=dream.session_id)
                                .order_by("-seq").values_list("type", "payload")[:RECENT_ACTIVITY]):
        payload = payload if isinstance(payload, dict) else {}
        tool_input = payload.get("input") if isinstance(payload.get("input"), dict) else {}
        if event_type == "agent.tool_use" and payload.get("name") == "read_session":
            lines.append(f"read session {tool_input.get('session_id', '')}")
        elif event_type == "agent.tool_use" and payload.get("name") == "memory":
            target = (_store_path(tool_input.get("path")) or
                      f"{_store_path(tool_input.get('old_path'))} → {_store_path(tool_input.get('new_path'))}")
            details = ", ".join(str(tool_input[k]) for k in ("command", "category") if tool_input.get(k))
            verb = "read" if tool_input.get("command") == "view" else "wrote"
            lines.append(f"{verb} {target} ({details})")
        elif event_type == "agent.message":
            texts = [c.get("text", "") for c in payload.get("content") or [] if isinstance(c, dict)]
            lines.append(" ".join(str(t) for t in texts)[:300])
        elif event_type == "user.message":
            lines.append("read the instructions")
    return lines


def _store_path(tool_path) -> str:
    """The memory tool's "/memories/a.md" as the store path "/a.md"."""
    path = str(tool_path or "")
    return path[len("/memories"):] if path.startswith("/memories/") else path


# --- review ---------------------------------------------------------------------------------------------


def review_context(ws, store, dream: Dream, page_number=None, *, warning: str | None = None) -> dict:
    """Counts, files touched and report over the whole proposal; the changes themselves a page
    at a time (by category, then in the order the dream proposed them), so a big proposal
    renders as fast as a small one. `warning` shows only the changes flagged with that warning
    ("any": flagged at all, "none": not flagged)."""
    proposal = getattr(dream, "proposal", None)
    if proposal is None or not dream.is_terminal:
        return {"proposal": None}
    every = proposal.changes.all()
    by_category = dict(every.order_by().values_list("category").annotate(n=Count("pk")))
    states = dict(every.order_by().values_list("review_state").annotate(n=Count("pk")))
    touched = sorted({p for pair in every.values_list("base_path", "path") for p in pair if p})
    # Warnings are a JSON list, which SQLite cannot search inside: counted here from one read.
    flags = list(every.values_list("warnings", flat=True))
    warning_counts = {kind: sum(1 for w in flags if guards.has_warning(w, kind)) for kind in WARNING_HELP}
    shown = every
    if warning in WARNING_HELP or warning in ("any", "none"):
        shown = review.changes_with_warning(every, warning)
    else:
        warning = None  # an unknown filter shows everything
    page = Paginator(shown.select_related("blob").order_by(_CATEGORY_ORDER, "seq"), CHANGES_PER_PAGE) \
        .get_page(page_number)
    changes = list(page.object_list)
    bases = {b.sha256: read_blob(b) for b in Blob.objects.filter(
        sha256__in={c.base_sha256 for c in changes if c.base_sha256})}
    groups: dict[str, list] = {}
    for change in changes:
        groups.setdefault(change.category, []).append(_change_row(ws, store, change, bases))
    categories = [c for c in ChangeCategory.values if by_category.get(c)] + sorted(
        c for c in by_category if c not in ChangeCategory.values)
    return {
        "proposal": proposal,
        "warning_filter": warning,
        "warning_counts": [(kind, warning_counts[kind], WARNING_HELP[kind]) for kind in WARNING_HELP],
        "flagged_count": sum(1 for w in flags if guards.has_warning(w, "any")),
        "shown_total": page.paginator.count,
        "groups": [{"category": c, "changes": rows, "total": by_category[c], "help": CATEGORY_HELP.get(c, "")}
                   for c, rows in groups.items()],
        "category_counts": [(c, by_category[c]) for c in categories],
        "state_counts": sorted(states.items()),
        "touched": touched,
        "change_total": sum(by_category.values()),
        "change_page": page,
        "rolled_back_count": states.get(ReviewState.ROLLED_BACK, 0),
        "refused": list(every.filter(review_state=ReviewState.ROLLBACK_REFUSED).order_by("seq")[:MAX_REFUSALS_SHOWN]),
        "pending_count": states.get(ReviewState.PENDING, 0),
        "applied_count": states.get(ReviewState.APPLIED, 0),
        "can_review": proposal.status == "open" and states.get(ReviewState.PENDING, 0) > 0,
        "can_rollback": proposal.status in ("applied", "partially_applied") and states.get(ReviewState.APPLIED, 0) > 0,
    }


def _change_row(ws, store, change, bases: dict[str, str]) -> dict:
    base_missing = bool(change.base_sha256) and change.base_sha256 not in bases
    old = bases.get(change.base_sha256, "") if change.base_sha256 else ""
    if change.operation == "delete":
        new = ""
    elif change.blob_id:
        new = read_blob(change.blob)
    else:
        new = old  # a rename that keeps the content
    return {
        "change": change,
        "renamed": bool(change.base_path and change.path and change.base_path != change.path),
        "diff": diff_texts(old, new),
        "base_missing": base_missing,
        "evidence": [_evidence(ws, store, item) for item in (change.evidence or [])],
    }


def _evidence(ws, store, item) -> dict:
    """One evidence item as {kind, label, url, detail}. Links only through reverse() and quote()."""
    if not isinstance(item, dict):
        return {"kind": "other", "label": str(item)[:300], "url": None, "detail": ""}
    detail = " · ".join(str(item[k]) for k in ("role", "finding") if isinstance(item.get(k), str))
    if item.get("type") == "session" and isinstance(item.get("session_id"), str):
        session_id = item["session_id"]
        event_ids = [str(e) for e in item.get("event_ids") or [] if isinstance(e, (str, int))]
        url = _reverse("console:session", ws.id, session_id)
        if url and event_ids:
            url += "?highlight=" + quote(",".join(event_ids), safe=",") + "#event-" + quote(event_ids[0], safe="")
        count = f"{len(event_ids)} event{'s' if len(event_ids) != 1 else ''}" if event_ids else "whole session"
        return {"kind": "session", "label": f"{session_id} ({count})", "url": url, "detail": detail}
    if item.get("type") == "memory":
        path = str(item.get("path") or item.get("memory_id") or "memory")
        line = f" line {item['line']}" if isinstance(item.get("line"), int) else ""
        url = _reverse("console:memory", ws.id, store.id, item["memory_id"]) if isinstance(
            item.get("memory_id"), str) else None
        excerpt = item.get("excerpt") if isinstance(item.get("excerpt"), str) else ""
        return {"kind": "memory", "label": path + line, "url": url,
                "detail": " · ".join(x for x in (detail, excerpt) if x)}
    text = ", ".join(f"{k}: {v}" for k, v in item.items())
    return {"kind": "other", "label": text[:300], "url": None, "detail": ""}


def _reverse(name: str, *args) -> str | None:
    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:  # an id with a "/" or an empty one: show it as text
        return None


# --- actions --------------------------------------------------------------------------------------------


def _proposal_or_error(request, ws, store, dream):
    """The proposal of a finished dream, or a response saying why there is none to review."""
    if not dream.is_terminal:
        # The proposal of a running dream is still being written; reviewing it now would
        # approve half a dream.
        return None, render_dream(request, ws, store, dream, status=409,
                                  error=f"This dream is {dream.status}; review it once it has finished.")
    try:
        return lifecycle.get_proposal(principal=principal_for(request, ws), dream_id=dream.id), None
    except NotFound as exc:
        return None, render_dream(request, ws, store, dream, error=exc.message, status=409)


def _selection(request):
    """None for "all", else the ticked change ids; a "selected" action with none ticked is an error."""
    if request.POST.get("scope") == "all":
        return None
    return [c for c in request.POST.getlist("change_ids") if c]


def _back(ws, store, dream):
    return redirect("console:dream", workspace_id=ws.id, store_id=store.id, dream_id=dream.id)


def _review_action(request, workspace_id, store_id, dream_id, action):
    ws, store, dream = dream_for(request, workspace_id, store_id, dream_id, role=Role.OPERATOR)
    proposal, failure = _proposal_or_error(request, ws, store, dream)
    if failure:
        return failure
    change_ids = _selection(request)
    if change_ids == []:
        return render_dream(request, ws, store, dream, status=400,
                            error="Tick at least one change first (or use the “all” button).")
    try:
        report = action(proposal=proposal, actor=actor_for(request), change_ids=change_ids)
    except ReverieError as exc:
        return render_dream(request, ws, store, dream, error=exc.message, status=exc.status)
    _say(request, report)
    return _back(ws, store, dream)


@login_required
@require_POST
def dream_approve(request, workspace_id, store_id, dream_id):
    return _review_action(request, workspace_id, store_id, dream_id, review.approve)


@login_required
@require_POST
def dream_reject(request, workspace_id, store_id, dream_id):
    return _review_action(request, workspace_id, store_id, dream_id, review.reject)


@login_required
@require_POST
def dream_rollback(request, workspace_id, store_id, dream_id):
    ws, store, dream = dream_for(request, workspace_id, store_id, dream_id, role=Role.OPERATOR)
    proposal, failure = _proposal_or_error(request, ws, store, dream)
    if failure:
        return failure
    try:
        report = review.rollback(proposal=proposal, actor=actor_for(request))
    except ReverieError as exc:
        return render_dream(request, ws, store, dream, error=exc.message, status=exc.status)
    _say(request, report)
    return _back(ws, store, dream)


def _say(request, report: review.Report) -> None:
    """The report as messages: one summary line, then one line per conflict or refusal."""
    if report.already_done:
        messages.info(request, f"Nothing to do: this proposal is already {report.status.replace('_', ' ')}.")
        return
    parts = []
    for label, items in (("applied", report.applied), ("rejected", report.rejected),
                         ("in conflict", report.conflicts), ("undone", report.restored),
                         ("refused", report.refused)):
        if items:
            parts.append(f"{len(items)} {label}")
    summary = ", ".join(parts) or "no changes"
    messages.success(request, f"Proposal is now {report.status.replace('_', ' ')}: {summary}.")
    for conflict in report.conflicts:
        messages.error(request, f"Conflict, not applied: {conflict['reason']}")
    for refusal in report.refused:
        messages.error(request, f"Not rolled back: {refusal['reason']}")
