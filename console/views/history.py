"""A memory's history, one version, diffs between any two versions, restore and redact,
and the store's activity feed.

History is append-only: restore writes the old content as a new version through
memory.store.update_memory, carrying the sha256 the operator saw (a write that
overtook it is a conflict, never an overwrite); redaction goes through
memory.versions.redact_version, the one change history allows.
"""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from console.permissions import actor_for, store_for, workspace_for
from console.views.common import breadcrumbs, folder_of, store_context
from memory.activity import list_activity, writers_of
from memory.blobs import read_blob
from memory.diff import diff_texts
from memory.errors import InvalidRequest, NotFound, PreconditionFailed, ReverieError
from memory.listing import list_versions
from memory.models import Agent, Memory, MemoryVersion, Operation, Role
from memory.versions import get_version, redact_version, restore_refusal, restore_version

PAGE_SIZE = 50


def _subject(store, memory_id):
    """(memory or None, latest version): history outlives a deleted memory; 404 when neither exists."""
    memory = Memory.objects.filter(store=store, id=memory_id).first()
    latest = MemoryVersion.objects.filter(store=store, memory_id=memory_id).order_by("-seq").first()
    if latest is None:
        raise Http404("No such memory.")
    return memory, latest


def _title(memory, latest) -> str:
    return memory.path if memory else (latest.path or latest.memory_id)


def _version(store, memory_id, version_id, *, with_content=False):
    """A version of this memory in this store; 404 for any other (another memory's, another store's)."""
    try:
        version = get_version(store=store, version_id=version_id, with_content=with_content)
    except NotFound:
        raise Http404("No such version.") from None
    if version.memory_id != memory_id:
        raise Http404("No such version.")
    return version


def _context(request, ws, store, memory, latest, **extra):
    title = _title(memory, latest)
    return store_context(request, ws, store, memory=memory, memory_id=latest.memory_id, title_path=title,
                         crumbs=breadcrumbs(folder_of(title) if title.startswith("/") else "/"), **extra)


@login_required
def memory_history(request, workspace_id, store_id, memory_id):
    """Versions of one memory, newest first, with who wrote each; paged by cursor."""
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    memory, latest = _subject(store, memory_id)
    page = request.GET.get("page") or None
    status, error = 200, None
    try:
        versions, next_page = list_versions(store=store, memory_id=memory_id, limit=PAGE_SIZE, page=page)
    except InvalidRequest as exc:
        versions, next_page, error, status = [], None, exc.message, 400
    writers = writers_of(workspace=ws, versions=versions)
    rows = [{"v": v, "w": writers[v.id]} for v in versions]
    context = _context(request, ws, store, memory, latest, rows=rows, next_page=next_page, page=page, error=error)
    template = "console/history.html#versions" if request.htmx else "console/history.html"
    return render(request, template, context, status=status)


@login_required
def memory_version(request, workspace_id, store_id, memory_id, version_id):
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    memory, latest = _subject(store, memory_id)
    version = _version(store, memory_id, version_id, with_content=True)
    return _render_version(request, ws, store, memory, latest, version)


def _render_version(request, ws, store, memory, latest, version, *, error=None, status=200):
    content = read_blob(version.blob) if version.blob_id else None
    writer = writers_of(workspace=ws, versions=[version])[version.id]
    restorable = restore_refusal(version) is None and (memory is None or version.blob_id != memory.blob_id)
    return render(request, "console/version.html", _context(
        request, ws, store, memory, latest, version=version, content=content, w=writer, error=error,
        restorable=restorable,
    ), status=status)


@login_required
def memory_compare(request, workspace_id, store_id, memory_id):
    """The diff between any two versions (?a=…&b=…, older first whichever way round);
    without `a`, `b` is compared with the version before it."""
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    memory, latest = _subject(store, memory_id)
    mode = "side" if request.GET.get("mode") == "side" else "inline"
    a_id, b_id = request.GET.get("a", "").strip(), request.GET.get("b", "").strip()
    if not b_id:
        return render(request, "console/compare.html", _context(
            request, ws, store, memory, latest, error="Choose two versions to compare.", diff=None, mode=mode,
        ), status=400)
    new = _version(store, memory_id, b_id, with_content=True)
    if a_id:
        old = _version(store, memory_id, a_id, with_content=True)
    else:
        old = (MemoryVersion.objects.filter(store=store, memory_id=memory_id, seq__lt=new.seq)
               .select_related("blob").order_by("-seq").first())
    if old is not None and old.seq > new.seq:
        old, new = new, old
    redacted = [v for v in (old, new) if v is not None and v.redacted_at is not None]
    diff = None
    if not redacted:
        diff = diff_texts(_text(old), _text(new))
    return render(request, "console/compare.html", _context(
        request, ws, store, memory, latest, old=old, new=new, diff=diff, diff_mode=mode, mode=mode,
        redacted=redacted, error=None,
    ))


def _text(version) -> str:
    """A version's content; nothing before the first version and after a deletion."""
    if version is None or version.blob_id is None:
        return ""
    return read_blob(version.blob)


@login_required
@require_POST
def version_restore(request, workspace_id, store_id, memory_id, version_id):
    """POST: write this version's content as a new version (operator)."""
    ws = workspace_for(request, workspace_id, role=Role.OPERATOR)
    store = store_for(request, ws, store_id)
    memory, latest = _subject(store, memory_id)
    version = _version(store, memory_id, version_id, with_content=True)
    try:
        restored = restore_version(store=store, memory_id=memory_id, version_id=version.id, actor=actor_for(request),
                                   expected_sha256=request.POST.get("expected_sha256", "").strip() or None)
    except PreconditionFailed:
        memory = Memory.objects.filter(store=store, id=memory_id).first()
        return _render_version(request, ws, store, memory, latest, version, status=409, error=(
            "This memory changed since you opened this page; nothing was restored. "
            "Review the current version and try again."))
    except ReverieError as exc:
        return _render_version(request, ws, store, memory, latest, version, error=exc.message, status=exc.status)
    if memory is None:
        messages.success(request, f"Brought {restored.path} back with the content of version {version.id}.")
        return redirect("console:memory_history", ws.id, store.id, memory_id)
    if restored.head_version_id == memory.head_version_id:
        messages.info(request, "The memory already holds this content; no version was written.")
    else:
        messages.success(request, f"Restored the content of version {version.id} as new version "
                                  f"{restored.head_version_id}.")
    return redirect("console:memory_history", ws.id, store.id, memory_id)


@login_required
def version_redact(request, workspace_id, store_id, memory_id, version_id):
    """GET: confirm; POST: empty this version's content and path for good (admin)."""
    ws = workspace_for(request, workspace_id, role=Role.ADMIN)
    store = store_for(request, ws, store_id)
    memory, latest = _subject(store, memory_id)
    version = _version(store, memory_id, version_id)
    error, status = None, 200
    if request.method == "POST":
        if version.redacted_at is not None:
            messages.info(request, f"Version {version.id} was already redacted.")
            return redirect("console:memory_history", ws.id, store.id, memory_id)
        try:
            redact_version(store=store, version_id=version.id, actor=actor_for(request))
        except ReverieError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"Redacted version {version.id}: its content and path are gone.")
            return redirect("console:memory_history", ws.id, store.id, memory_id)
    return render(request, "console/redact_confirm.html", _context(
        request, ws, store, memory, latest, version=version, error=error,
        is_head=memory is not None and memory.head_version_id == version.id,
    ), status=status)


def _day_start(value: str, field: str):
    """The start of a YYYY-MM-DD day in the current time zone, or InvalidRequest."""
    day = None
    try:
        day = parse_date(value)
    except ValueError:
        pass
    if day is None:
        raise InvalidRequest(f"`{field}` must be a date written YYYY-MM-DD.")
    return timezone.make_aware(datetime.combine(day, time.min))


@login_required
def store_activity(request, workspace_id, store_id):
    """Every write to the store, newest first; filter by agent, session, operation and days."""
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    filters = {name: request.GET.get(name, "").strip() for name in ("agent", "session", "operation", "since", "until")}
    page = request.GET.get("page") or None
    status, error, versions, next_page = 200, None, [], None
    try:
        since = _day_start(filters["since"], "since") if filters["since"] else None
        # `until` names the last day included: stop at the start of the next one.
        until = _day_start(filters["until"], "until") + timedelta(days=1) if filters["until"] else None
        versions, next_page = list_activity(
            store=store, limit=PAGE_SIZE, page=page, agent_id=filters["agent"] or None,
            session_id=filters["session"] or None, operation=filters["operation"] or None, since=since, until=until,
        )
    except InvalidRequest as exc:
        error, status = exc.message, 400
    writers = writers_of(workspace=ws, versions=versions)
    live = set(Memory.objects.filter(store=store, id__in={v.memory_id for v in versions})
               .values_list("id", flat=True)) if versions else set()
    rows = [{"v": v, "w": writers[v.id], "live": v.memory_id in live} for v in versions]
    agents = Agent.objects.filter(workspace=ws).order_by("name").only("id", "name")[:500]
    context = store_context(request, ws, store, store_section="activity", rows=rows, next_page=next_page,
                            page=page, error=error, filters=filters, agents=agents,
                            operations=Operation.choices, crumbs=breadcrumbs("/"))
    template = "console/activity.html#feed" if request.htmx else "console/activity.html"
    return render(request, template, context, status=status)
