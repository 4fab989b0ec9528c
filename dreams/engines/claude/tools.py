"""The dreamer's tools beside the memory tool: read the dream's sessions and annotate changes.

Each tool's output is capped and says when it was cut. Refusals raise ToolError, which reaches
the model as a tool error it can act on. Only the dream's own sessions are reachable.
"""

from dataclasses import dataclass, field

from anthropic.lib.tools import ToolError

from dreams.engines.claude.render import cut, event_text

MAX_TOOL_CHARS = 12_000
PAGE_EVENTS = 40
MAX_PAGE_EVENTS = 100
SEARCH_HITS = 20
CATEGORIES = ("pattern", "dedup", "stale", "verify", "other")

DEFINITIONS = [
    {
        "name": "list_sessions",
        "description": "List the sessions this dream reads: id, agent, title, outcome, number of events. Paged.",
        "input_schema": {"type": "object", "properties": {
            "page": {"type": "integer", "minimum": 1, "description": "1-based page of 50 sessions."}}},
    },
    {
        "name": "read_session",
        "description": ("Read a session's events in order, a page at a time. Each event starts with its id in "
                        "brackets: cite those ids as evidence. Long events are truncated and say so."),
        "input_schema": {"type": "object", "required": ["session_id"], "properties": {
            "session_id": {"type": "string"},
            "after_event_id": {"type": "string", "description": "Continue after this event (from the last page)."},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_EVENTS},
        }},
    },
    {
        "name": "search_sessions",
        "description": "Find events containing a text (case-insensitive) across this dream's sessions.",
        "input_schema": {"type": "object", "required": ["query"], "properties": {
            "query": {"type": "string", "minLength": 2},
            "session_id": {"type": "string", "description": "Only this session."},
        }},
    },
    {
        "name": "annotate_change",
        "description": ("Say why you changed a memory file, after changing it with the memory tool. One call per "
                        "file you created, edited, renamed or deleted. Changes without an annotation and valid "
                        "evidence are flagged for the reviewer and never applied automatically."),
        "input_schema": {"type": "object", "required": ["path", "category", "rationale", "evidence"], "properties": {
            "path": {"type": "string", "description": "The file's path under /memories (the old path of a deleted "
                                                      "file, the new path of a renamed one)."},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "rationale": {"type": "string", "maxLength": 500, "description": "One line: what changed and why."},
            "evidence": {"type": "array", "items": {"type": "object", "required": ["session_id", "event_ids"],
                                                    "properties": {"session_id": {"type": "string"},
                                                                   "event_ids": {"type": "array",
                                                                                 "items": {"type": "string"}}}}},
            "retires": {"type": "array", "items": {"type": "string"},
                        "description": "Lines of the old text you removed on purpose (stale or duplicated facts), "
                                       "quoted exactly."},
        }},
    },
]


@dataclass
class Annotation:
    category: str
    rationale: str
    evidence: list[dict] = field(default_factory=list)
    retires: list[str] = field(default_factory=list)


class SessionTools:
    """The session tools over the runner's SessionSource, plus the annotations they collect."""

    def __init__(self, source, workcopy):
        self.source = source
        self.workcopy = workcopy
        self.annotations: dict[str, Annotation] = {}

    def run(self, name: str, tool_input) -> str:
        if not isinstance(tool_input, dict):
            raise ToolError(f"The input of {name} must be an object.")
        handler = getattr(self, f"_{name}", None)
        if name not in {d["name"] for d in DEFINITIONS} or handler is None:
            raise ToolError(f"Unknown tool {name!r}.")
        return cut(handler(tool_input), MAX_TOOL_CHARS)

    def _list_sessions(self, data) -> str:
        page = 1 if data.get("page") is None else data["page"]  # 0 is refused, not read as page 1
        if not isinstance(page, int) or page < 1:
            raise ToolError("`page` must be a positive integer.")
        catalog = self.source.catalog()
        rows = catalog[(page - 1) * 50: page * 50]
        lines = [f"{s.id}\tagent={s.agent_name}\toutcome={s.outcome_result or 'unknown'}\tevents={s.event_count}"
                 f"\ttitle={cut(s.title or '', 80)}" for s in rows]
        more = f"\n[page {page} of {max(1, -(-len(catalog) // 50))}]" if len(catalog) > 50 else ""
        return f"{len(catalog)} sessions.\n" + "\n".join(lines) + more

    def _read_session(self, data) -> str:
        session_id = self._session(data.get("session_id"))
        limit = PAGE_EVENTS if data.get("limit") is None else data["limit"]
        if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_EVENTS:
            raise ToolError(f"`limit` must be an integer from 1 to {MAX_PAGE_EVENTS}.")
        after = data.get("after_event_id")
        if after is not None and not isinstance(after, str):
            raise ToolError("`after_event_id` must be an event id.")
        events, more = self.source.page(session_id, after_event_id=after, limit=limit)
        lines, used = [], 0
        for event in events:
            text = event_text(event)
            if text is None:
                continue
            if used + len(text) > MAX_TOOL_CHARS - 200:
                more, last = True, event.id
                lines.append(f"[page cut to fit: continue with after_event_id={last}]")
                break
            lines.append(text)
            used += len(text) + 1
        if not lines:
            return f"No more events in {session_id}."
        if more and events and not lines[-1].startswith("[page cut"):
            lines.append(f"[more events: continue with after_event_id={events[-1].id}]")
        return "\n".join(lines)

    def _search_sessions(self, data) -> str:
        query = data.get("query")
        if not isinstance(query, str) or len(query.strip()) < 2:
            raise ToolError("`query` must be a text of at least 2 characters.")
        session_id = self._session(data["session_id"]) if data.get("session_id") else None
        hits = self.source.search(query.strip(), session_id=session_id, limit=SEARCH_HITS)
        if not hits:
            return f"No event contains {query!r}."
        return "\n".join(f"{hit.session_id} {text}" for hit in hits if (text := event_text(hit.event, limit=400)))

    def _annotate_change(self, data) -> str:
        path = self.workcopy.store_path(data.get("path"))
        category = data.get("category")
        if category not in CATEGORIES:
            raise ToolError(f"`category` must be one of {', '.join(CATEGORIES)}.")
        rationale = data.get("rationale")
        if not isinstance(rationale, str) or not rationale.strip():
            raise ToolError("`rationale` must be one line saying what changed and why.")
        evidence = data.get("evidence")
        if not isinstance(evidence, list):
            raise ToolError("`evidence` must be a list of {session_id, event_ids}.")
        retires = [r for r in data.get("retires") or [] if isinstance(r, str) and r.strip()]
        entries = [{"type": "session", "session_id": e.get("session_id"),
                    "event_ids": [i for i in e.get("event_ids") or [] if isinstance(i, str)][:50]}
                   for e in evidence[:50] if isinstance(e, dict) and isinstance(e.get("session_id"), str)]
        note = self.annotations.get(path)
        if note is None:
            self.annotations[path] = Annotation(category, " ".join(rationale.split())[:500], entries, retires)
        else:  # a second note on the same file: the latest words, all the evidence
            note.category, note.rationale = category, " ".join(rationale.split())[:500]
            note.evidence += entries
            note.retires += retires
        return f"Noted {category} change to {data.get('path')} with {len(entries)} evidence entries."

    def _session(self, session_id) -> str:
        if not isinstance(session_id, str) or not self.source.has(session_id):
            raise ToolError(f"Session {session_id!r} is not one of this dream's sessions; list_sessions shows them.")
        return session_id
