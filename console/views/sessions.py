"""The sessions list and the transcript viewer (viewer role; nothing here writes).

Everything a session carries (title, metadata, message text, tool names, inputs and
results) came from an agent and is untrusted. The templates show it through Django's
autoescape only; agent messages go through render_markdown, which escapes raw HTML
and drops unsafe link schemes. Nothing from a payload is ever marked safe here.
"""

import json
from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode

from console.markdown import render_markdown
from console.permissions import workspace_for
from console.views.common import workspace_context
from dreams.models import SessionEvent
from dreams.sessions import OUTCOME_RESULTS, STATUSES, get_session, list_sessions, page_sessions
from memory.errors import InvalidRequest, NotFound
from memory.models import Agent, Memory, MemoryVersion

LIST_PAGE_SIZE = 50
EVENTS_PAGE_SIZE = 200
MEMORIES_SHOWN = 100
MAX_HIGHLIGHTS = 50
MAX_TEXT = 20_000  # characters of one message or result shown; the raw export has the rest
PREVIEW = 120
NO_OUTCOME = "none"
ARCHIVED_CHOICES = ("", "include", "only")

MESSAGE_TYPES = {
    "user.message": "user", "agent.message": "agent", "system.message": "system",
    "agent.thread_message_sent": "agent (to thread)", "agent.thread_message_received": "agent (from thread)",
}
TOOL_USE_TYPES = {"agent.tool_use", "agent.mcp_tool_use", "agent.custom_tool_use"}
TOOL_RESULT_TYPES = {"agent.tool_result", "agent.mcp_tool_result", "user.custom_tool_result", "user.tool_result"}
ERROR_TYPES = {"session.error", "workflow_run.error"}
OUTCOME_TYPES = {"user.define_outcome", "span.outcome_evaluation_start", "span.outcome_evaluation_ongoing",
                 "span.outcome_evaluation_end"}


# --- the list ---------------------------------------------------------------------------------------------

def _parse_day(value: str, field: str):
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is None:
        raise InvalidRequest(f"“{field}” must be a date such as 2026-01-31 (got {value[:40]!r}).")
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _filtered_sessions(ws, filters: dict, agents: list):
    """The workspace's sessions narrowed by the form's filters; InvalidRequest for a bad value."""
    agent_id, outcome, status, archived = filters["agent"], filters["outcome"], filters["status"], filters["archived"]
    if agent_id and agent_id not in {a.id for a in agents}:
        raise InvalidRequest(f"No agent {agent_id[:60]!r} in this workspace.")
    if outcome and outcome not in (*OUTCOME_RESULTS, NO_OUTCOME):
        raise InvalidRequest(f"“outcome” must be one of {', '.join((*OUTCOME_RESULTS, NO_OUTCOME))}.")
    if archived not in ARCHIVED_CHOICES:
        raise InvalidRequest("“archived” must be empty, include or only.")
    since = _parse_day(filters["since"], "since") if filters["since"] else None
    # `until` names a day and includes it: everything before the next midnight (none after 9999-12-31).
    until = _parse_day(filters["until"], "until") if filters["until"] else None
    until = until + timedelta(days=1) if until is not None and until.date() < date.max else None
    sessions = list_sessions(workspace=ws, agent_id=agent_id or None, statuses=[status] if status else (),
                             include_archived=bool(archived), created_gte=since, created_lt=until)
    if archived == "only":
        sessions = sessions.filter(archived_at__isnull=False)
    if outcome == NO_OUTCOME:
        sessions = sessions.filter(outcome_result__isnull=True)
    elif outcome:
        sessions = sessions.filter(outcome_result=outcome)
    return sessions


@login_required
def session_list(request, workspace_id):
    """The workspace's sessions, newest first, filtered and paged by cursor (never the whole list)."""
    ws = workspace_for(request, workspace_id)
    filters = {key: request.GET.get(key, "").strip() for key in ("agent", "outcome", "status", "since", "until",
                                                                   "archived")}
    page = request.GET.get("page") or None
    agents = list(Agent.objects.filter(workspace=ws).order_by("name"))
    rows, next_page, prev_page, error, status = [], None, None, None, 200
    try:
        sessions = _filtered_sessions(ws, filters, agents)
        # The list shows none of the JSON columns; an import can make them large.
        sessions = sessions.defer("agent_snapshot", "metadata", "outcome_evaluations", "created_by", "extra")
        rows, next_page, prev_page = page_sessions(sessions, order="desc", token=page, limit=LIST_PAGE_SIZE)
    except InvalidRequest as exc:
        error, status = exc.message, 400
    except ValueError:  # a well-formed cursor holding an impossible date
        error, status = "“page” is not a valid page cursor for this list.", 400
    base = reverse("console:sessions", args=[ws.id])
    filter_query = {k: v for k, v in filters.items() if v}

    def page_url(token):
        return f"{base}?{urlencode({**filter_query, 'page': token})}" if token else None

    context = workspace_context(
        request, ws, section="sessions", rows=rows, next_page=next_page, prev_page=prev_page, error=error,
        next_url=page_url(next_page), prev_url=page_url(prev_page), filters=filters, agents=agents,
        outcomes=(*OUTCOME_RESULTS, NO_OUTCOME), statuses=STATUSES, filter_query=filter_query,
    )
    template = "console/sessions.html#list" if request.htmx else "console/sessions.html"
    return render(request, template, context, status=status)


# --- the transcript ---------------------------------------------------------------------------------------

def _highlights(request) -> list[str]:
    """Event ids from ?highlight=a,b (repeatable), in the order given, without repeats."""
    ids = []
    for value in request.GET.getlist("highlight"):
        for event_id in value.split(","):
            event_id = event_id.strip()
            if event_id and len(event_id) <= 128 and event_id not in ids:
                ids.append(event_id)
                if len(ids) == MAX_HIGHLIGHTS:
                    return ids
    return ids


def _page_number(request, session, highlights: list[str]) -> int:
    """?page=N (1-based) when given; else the page holding the first highlighted event that exists."""
    raw = request.GET.get("page")
    if raw:
        pages = max(1, -(-session.event_count // EVENTS_PAGE_SIZE))
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and 1 <= int(raw) <= pages):
            raise InvalidRequest(f"“page” must be a page number from 1 to {pages}.")
        return int(raw)
    if not highlights:
        return 1
    found = dict(SessionEvent.objects.filter(session=session, id__in=highlights).values_list("id", "seq"))
    first = next((found[i] for i in highlights if i in found), None)
    if first is None:
        return 1
    before = SessionEvent.objects.filter(session=session, seq__lt=first).count()
    return before // EVENTS_PAGE_SIZE + 1


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= PREVIEW else line[: PREVIEW - 1] + "…"


def _cap(text: str) -> tuple[str, bool]:
    return (text, False) if len(text) <= MAX_TEXT else (text[:MAX_TEXT], True)


def _pretty(value) -> str:
    """JSON for a <pre>; the template escapes it."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return _cap(text)[0]


def _blocks(payload: dict) -> list[dict]:
    """A message's or result's content as [{kind, text}]: text blocks, and a label for the rest."""
    content = payload.get("content")
    if isinstance(content, str):
        return [{"kind": "text", "text": content}]
    blocks = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = str(block.get("type") or "block")
        if isinstance(block.get("text"), str):
            blocks.append({"kind": "text", "text": block["text"]})
        elif isinstance(block.get("content"), list):  # nested result blocks (search results, tool_result)
            title = block.get("title") if isinstance(block.get("title"), str) else ""
            blocks.append({"kind": "label", "text": f"[{kind}{': ' + title if title else ''}]"})
            blocks.extend(_blocks(block))
        else:
            title = block.get("title") if isinstance(block.get("title"), str) else ""
            blocks.append({"kind": "label", "text": f"[{kind}{': ' + title if title else ''}]"})
    return blocks


def _text_of(blocks: list[dict]) -> str:
    return "\n".join(b["text"] for b in blocks)


def _input_preview(tool_input) -> str:
    if isinstance(tool_input, dict):
        for key in ("command", "cmd", "script", "query", "path", "url"):
            if isinstance(tool_input.get(key), str):
                return _one_line(tool_input[key])
        return _one_line(" ".join(f"{k}={v}" for k, v in sorted(tool_input.items())
                                  if isinstance(v, (str, int, float))))
    return _one_line(json.dumps(tool_input, default=str)) if tool_input is not None else ""


def _use_id(payload: dict) -> str:
    """The tool_use event a result answers ("" when it names none)."""
    use_id = payload.get("tool_use_id") or payload.get("mcp_tool_use_id") or payload.get("custom_tool_use_id")
    return use_id if isinstance(use_id, str) else ""


def present_event(event: SessionEvent, tool_names: dict, highlighted: set) -> dict:
    """What the template needs for one event: its kind, labels and text (all still unescaped)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    row = {"id": event.id, "seq": event.seq, "type": event.type, "at": event.processed_at,
           "highlight": event.id in highlighted, "error": False, "kind": "other"}
    if event.type in MESSAGE_TYPES:
        blocks = _blocks(payload)
        text, truncated = _cap(_text_of(blocks))
        row.update(kind="message", role=MESSAGE_TYPES[event.type], truncated=truncated, text=text,
                   preview=_one_line(text))
        if event.type == "agent.message":
            row["html"] = render_markdown(text)  # sanitized: raw HTML escaped, unsafe links dropped
    elif event.type in TOOL_USE_TYPES:
        name = payload.get("name") or payload.get("tool_name") or "tool"
        server = payload.get("mcp_server_name") or payload.get("server_name")
        row.update(kind="tool_use", tool=str(name), server=str(server) if server else "",
                   preview=_input_preview(payload.get("input")), body=_pretty(payload.get("input")))
    elif event.type in TOOL_RESULT_TYPES:
        use_id = _use_id(payload)
        text, truncated = _cap(_text_of(_blocks(payload)))
        row.update(kind="tool_result", tool=tool_names.get(use_id, ""), use_id=use_id,
                   error=bool(payload.get("is_error")),
                   preview=_one_line(text) or "(no output)", text=text, truncated=truncated)
    elif event.type in ERROR_TYPES or event.type.endswith(".error"):
        error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
        retry = error.get("retry_status") if isinstance(error.get("retry_status"), dict) else {}
        row.update(kind="error", error=True, error_type=str(error.get("type") or "error"),
                   message=str(error.get("message") or ""), retry=str(retry.get("type") or ""),
                   body=_pretty(payload))
    elif event.type in OUTCOME_TYPES:
        row.update(kind="outcome", outcome_id=str(payload.get("outcome_id") or ""),
                   result=str(payload.get("result") or ""), iteration=payload.get("iteration"),
                   explanation=str(payload.get("explanation") or ""),
                   description=str(payload.get("description") or ""), body=_pretty(payload))
        row["error"] = row["result"] in ("failed", "max_iterations_reached", "interrupted")
    elif event.type.startswith(("session.status_", "session.thread_status_", "workflow_run.status_")):
        stop = payload.get("stop_reason")
        reason = stop.get("type") if isinstance(stop, dict) else None
        row.update(kind="status", label=event.type.rsplit(".", 1)[-1].removeprefix("status_").replace("_", " "),
                   reason=str(reason) if reason else "")
    elif event.type == "agent.thinking":
        row.update(kind="status", label="thinking", reason="")
    else:
        row.update(body=_pretty(payload))
    return row


def _tool_names(session, events) -> dict:
    """tool_use id → tool name, for the results on this page (their calls may be on an earlier page)."""
    names = {e.id: str(e.payload.get("name") or "tool") for e in events
             if e.type in TOOL_USE_TYPES and isinstance(e.payload, dict)}
    wanted = set()
    for e in events:
        if e.type in TOOL_RESULT_TYPES and isinstance(e.payload, dict):
            use_id = _use_id(e.payload)
            if use_id and use_id not in names:
                wanted.add(use_id)
    if wanted:
        for use_id, name in SessionEvent.objects.filter(session=session, id__in=list(wanted)).values_list(
                "id", "payload__name"):
            names[use_id] = str(name or "tool")
    return names


def _memories_written(ws, session) -> tuple[list[dict], int]:
    """The first versions this session wrote in the workspace's stores, oldest first, and how many in all."""
    versions = MemoryVersion.objects.filter(session_id=session.id, store__workspace=ws)
    count = versions.count()
    shown = list(versions.select_related("store").order_by("seq")[:MEMORIES_SHOWN]) if count else []
    alive = set(Memory.objects.filter(id__in={v.memory_id for v in shown}, store__workspace=ws)
                .values_list("id", flat=True)) if shown else set()
    return [{"version": v, "exists": v.memory_id in alive} for v in shown], count


@login_required
def session_detail(request, workspace_id, session_id):
    """One transcript. ?highlight=<event id>,… marks events and opens the page holding the first one."""
    ws = workspace_for(request, workspace_id)
    try:
        session = get_session(workspace=ws, session_id=session_id)
    except NotFound:
        raise Http404("No such session.") from None
    highlights = _highlights(request)
    error, status, events, number = None, 200, [], 1
    try:
        number = _page_number(request, session, highlights)
    except InvalidRequest as exc:
        error, status = exc.message, 400
    else:
        offset = (number - 1) * EVENTS_PAGE_SIZE
        transcript = SessionEvent.objects.filter(session=session).order_by("seq")
        events = list(transcript[offset:offset + EVENTS_PAGE_SIZE + 1])
    has_next = len(events) > EVENTS_PAGE_SIZE
    events = events[:EVENTS_PAGE_SIZE]
    tool_names = _tool_names(session, events)
    rows = [present_event(e, tool_names, set(highlights)) for e in events]
    pages = max(1, -(-session.event_count // EVENTS_PAGE_SIZE))
    base = reverse("console:session", args=[ws.id, session.id])

    def page_url(n):
        return f"{base}?{urlencode({**({'highlight': ','.join(highlights)} if highlights else {}), 'page': n})}"

    context = workspace_context(
        request, ws, section="sessions", session=session, rows=rows, page_number=number, pages=pages,
        next_url=page_url(number + 1) if has_next else None, prev_url=page_url(number - 1) if number > 1 else None,
        last_page=not has_next and status == 200, highlights=highlights, error=error,
        offset=(number - 1) * EVENTS_PAGE_SIZE,
        metadata=sorted(session.metadata.items()) if isinstance(session.metadata, dict) else [],
        evaluations=[e for e in session.outcome_evaluations if isinstance(e, dict)],
    )
    if request.htmx:
        return render(request, "console/session.html#events", context, status=status)
    written, written_count = _memories_written(ws, session)
    context.update(written=written, written_count=written_count, memories_shown=MEMORIES_SHOWN)
    return render(request, "console/session.html", context, status=status)
