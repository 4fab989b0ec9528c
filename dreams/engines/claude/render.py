"""Sessions as text for the model: compact, one event per entry, every entry named by its event id
so the model can cite it as evidence. Everything here is untrusted data from transcripts; the
prompts wrap it in marked data blocks (see prompts.py)."""

import json

from dreams.engines.base import Event

MAX_EVENT_CHARS = 2_000  # one event's text in a digest or a page; longer text is cut and says so
SKIPPED_TYPES = {"agent.thinking", "span.model_request_start", "span.model_request_end", "session.status_running",
                 "session.status_idle", "session.updated", "session.usage", "span.outcome_evaluation_ongoing",
                 "session.thread_status_running", "session.thread_status_idle"}


def estimate_tokens(text: str) -> int:
    """A conservative token count (three characters a token; English prose runs nearer four)."""
    return len(text) // 3 + 1


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f" …[truncated {len(text) - limit} characters]"


def event_text(event: Event, *, limit: int = MAX_EVENT_CHARS) -> str | None:
    """One line (or a few) for an event; None for events that say nothing a dreamer needs."""
    payload, kind = event.payload, event.type
    if kind in SKIPPED_TYPES:
        return None
    if kind in ("agent.tool_use", "agent.mcp_tool_use", "agent.custom_tool_use"):
        name = payload.get("name") or payload.get("tool_name") or "?"
        body = json.dumps(payload.get("input"), ensure_ascii=False, sort_keys=True)
        return f"[{event.id}] {kind} {name}: {cut(body, limit)}"
    if kind in ("agent.tool_result", "agent.mcp_tool_result", "user.tool_result", "user.custom_tool_result"):
        flag = " ERROR" if payload.get("is_error") else ""
        target = payload.get("tool_use_id") or "?"
        return f"[{event.id}] {kind}{flag} (for {target}): {cut(blocks_text(payload), limit)}"
    if kind == "span.outcome_evaluation_end":
        return f"[{event.id}] outcome: {payload.get('result')} — {cut(str(payload.get('explanation') or ''), limit)}"
    if kind == "session.error":
        error = payload.get("error") or {}
        return f"[{event.id}] session.error {error.get('type')}: {cut(str(error.get('message') or ''), limit)}"
    if kind == "user.tool_confirmation":
        reason = cut(str(payload.get("deny_message") or ""), limit)
        return f"[{event.id}] user.tool_confirmation {payload.get('result')}: {reason}"
    text = blocks_text(payload)
    if not text:
        return None
    return f"[{event.id}] {kind}: {cut(text, limit)}"


def blocks_text(payload: dict) -> str:
    content = payload.get("content")
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif isinstance(block.get("content"), (list, str)):
            parts.append(blocks_text(block))
        elif block.get("type") in ("image", "document"):
            parts.append(f"[{block['type']}]")
    return "\n".join(p for p in parts if p)
