"""Claude Code transcripts: ~/.claude/projects/<project>/<session uuid>.jsonl.

Each line is one record: `user` and `assistant` lines carry a `message` (role, and
content as a string or as blocks of text / tool_use / tool_result / thinking / image);
`summary` lines name the conversation; `system` lines are notices from the CLI; other
kinds (file snapshots and the like) are not part of the conversation. They become
Managed Agents events:

    user text        → user.message {content: [text]}
    assistant text   → agent.message {content: [text]}
    thinking         → agent.thinking (the event shape carries no thinking text, so none is kept)
    tool_use         → agent.tool_use {name, input}, with id "sevt_" + the tool_use id
    tool_result      → agent.tool_result {tool_use_id: that same id, is_error, content: [text]}
    system notice    → system.message {content: [text]}

The session id is "sesn_cc_" + the Claude session uuid without dashes, the title the
first summary line (else the first thing the user typed), the agent "claude-code".
Transcripts are written live by the CLI, so a torn or malformed line is skipped with
a warning instead of failing the file. Sidechain lines (a sub-agent's own
conversation) and meta lines (text the CLI injects on the user's behalf) are left
out. Event ids derive from line uuids, so importing a transcript again appends only
what was added since.
"""

import hashlib
import re
import uuid
from pathlib import Path

from dreams import sessions
from dreams.importers import SessionImport, loads
from memory.errors import InvalidRequest

DEFAULT_AGENT = "claude-code"
TITLE_LENGTH = 80
MAX_WARNINGS_PER_FILE = 20
_SURROGATES = re.compile("[\ud800-\udfff]")


def read_transcript(path: Path, *, agent_name: str | None = None) -> tuple[SessionImport, list[str]]:
    """The transcript as one session export, and warnings for the lines that were skipped."""
    reader = _Reader(path)
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        return SessionImport(source=str(path), data=None, error=f"cannot be read: {exc.strerror or exc}."), []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            reader.read_line(number, line)
    return reader.result(agent_name=agent_name or DEFAULT_AGENT), reader.warnings()


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.events: list[dict] = []
        self.claude_session_id: str | None = None
        self.summary: str | None = None
        self.first_prompt: str | None = None
        self.cwd = self.git_branch = self.model = None
        self.first_at = self.last_at = None
        self.skipped: list[str] = []

    def skip(self, number: int, reason: str) -> None:
        self.skipped.append(f"{self.path}:{number}: skipped: {reason}")

    def warnings(self) -> list[str]:
        shown = self.skipped[:MAX_WARNINGS_PER_FILE]
        if len(self.skipped) > len(shown):
            shown.append(f"{self.path}: … and {len(self.skipped) - len(shown)} more skipped lines.")
        return shown

    def read_line(self, number: int, line: str) -> None:
        try:
            record = loads(line)
        except ValueError as exc:
            return self.skip(number, f"not valid JSON ({exc})")
        if not isinstance(record, dict) or not isinstance(record.get("type"), str):
            return self.skip(number, "not an object with a string `type`")
        kind = record["type"]
        if kind == "summary":
            if self.summary is None and isinstance(record.get("summary"), str) and record["summary"].strip():
                self.summary = record["summary"]
            return None
        if kind not in ("user", "assistant", "system") or record.get("isSidechain") or record.get("isMeta"):
            return None
        if self.claude_session_id is None and isinstance(record.get("sessionId"), str):
            self.claude_session_id = record["sessionId"]
        for attribute, key in (("cwd", "cwd"), ("git_branch", "gitBranch")):
            if getattr(self, attribute) is None and isinstance(record.get(key), str):
                setattr(self, attribute, record[key])
        at = self._timestamp(number, record.get("timestamp"))
        base = _line_key(record, line)
        if kind == "system":
            content = record.get("content")
            if isinstance(content, str) and content.strip():
                self._add({"type": "system.message", "id": f"sevt_cc_{base}_0", "processed_at": at,
                           "content": [_text(content)]})
            return None
        message = record.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("content"), (str, list)):
            return self.skip(number, f"a {kind} line without `message.content`")
        if kind == "assistant" and self.model is None and isinstance(message.get("model"), str):
            self.model = message["model"]
        blocks = message["content"]
        if isinstance(blocks, str):
            blocks = [{"type": "text", "text": blocks}]
        self._read_blocks(kind, [b for b in blocks if isinstance(b, dict)], base, at)
        return None

    def _read_blocks(self, kind: str, blocks: list[dict], base: str, at) -> None:
        """Runs of text (and images) make one message event, named after the run's first block."""
        run: list[dict] = []
        run_start = 0
        for index, block in enumerate(blocks + [{"type": "end"}]):
            block_type = block.get("type")
            if block_type == "text" and isinstance(block.get("text"), str):
                run_start = run_start if run else index
                run.append(_text(block["text"]))
                continue
            if block_type == "image":
                run_start = run_start if run else index
                run.append(_text("[image omitted]"))
                continue
            if run:
                self._add({"type": "user.message" if kind == "user" else "agent.message",
                           "id": f"sevt_cc_{base}_{run_start}", "processed_at": at, "content": run})
                if kind == "user" and self.first_prompt is None:
                    self.first_prompt = _prompt(run)
                run = []
            event_id = f"sevt_cc_{base}_{index}"
            if block_type in ("thinking", "redacted_thinking") and kind == "assistant":
                self._add({"type": "agent.thinking", "id": event_id, "processed_at": at})
            elif block_type == "tool_use" and kind == "assistant":
                tool_input = block.get("input")
                self._add({"type": "agent.tool_use", "id": _tool_event_id(block.get("id"), event_id),
                           "processed_at": at, "name": str(block.get("name") or "unknown"),
                           "input": tool_input if isinstance(tool_input, dict) else {"value": tool_input}})
            elif block_type == "tool_result" and kind == "user":
                self._add({"type": "agent.tool_result", "id": event_id, "processed_at": at,
                           "tool_use_id": _tool_event_id(block.get("tool_use_id"), event_id + "_use"),
                           "is_error": bool(block.get("is_error")), "content": _result_content(block.get("content"))})

    def _add(self, event: dict) -> None:
        self.events.append(_clean(event))

    def _timestamp(self, number: int, value):
        if value is None:
            return None
        try:
            sessions.parse_timestamp(value, field="timestamp")
        except InvalidRequest:
            self.skipped.append(f"{self.path}:{number}: kept without a time: `timestamp` is not RFC 3339.")
            return None
        self.first_at = self.first_at or value
        self.last_at = value
        return value

    def result(self, *, agent_name: str) -> SessionImport:
        source = str(self.path)
        claude_id = self.claude_session_id or self.path.stem
        if not self.events:
            return SessionImport(source=source, data=None,
                                 error="no user or assistant messages found; is this a Claude Code transcript?")
        metadata = {"source": "claude-code", "claude_session_id": claude_id[:512],
                    "project": self.path.parent.name[:512]}
        if self.cwd:
            metadata["cwd"] = self.cwd[:512]
        if self.git_branch:
            metadata["git_branch"] = self.git_branch[:512]
        agent = {"type": "agent", "name": agent_name}
        if self.model:
            agent["model"] = {"id": self.model}
        session = {
            "type": "session", "id": session_id_for(claude_id), "title": _title(self.summary or self.first_prompt),
            "agent": agent, "environment_id": "claude-code", "status": "idle",
            "metadata": _clean(metadata), "created_at": self.first_at, "updated_at": self.last_at,
            "archived_at": None,
        }
        return SessionImport(source=source, data={"session": session, "events": self.events}, agent_name=agent_name)


def session_id_for(claude_session_id: str) -> str:
    """"sesn_cc_" + the uuid's 32 hex digits; a session id that is not a uuid is hashed instead."""
    try:
        return "sesn_cc_" + uuid.UUID(claude_session_id).hex
    except ValueError:
        return "sesn_cc_" + hashlib.sha256(claude_session_id.encode("utf-8", "replace")).hexdigest()[:32]


def _line_key(record: dict, line: str) -> str:
    try:
        return uuid.UUID(str(record.get("uuid"))).hex
    except ValueError:
        return hashlib.sha256(line.encode("utf-8", "replace")).hexdigest()[:32]


def _tool_event_id(tool_use_id, fallback: str) -> str:
    """The tool_use event is named after the tool_use id, so its tool_result can point at it."""
    if isinstance(tool_use_id, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,100}", tool_use_id):
        return "sevt_" + tool_use_id
    return fallback


def _text(text: str) -> dict:
    return {"type": "text", "text": text}


def _result_content(content) -> list[dict]:
    if isinstance(content, str):
        return [_text(content)]
    blocks = []
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            blocks.append(_text(block["text"]))
        elif isinstance(block, dict):
            blocks.append(_text(f"[{block.get('type') or 'content'} omitted]"))
    return blocks


def _prompt(texts: list[dict]) -> str | None:
    """What the user typed, for a title: not the wrappers the CLI puts around slash commands."""
    text = " ".join(t["text"] for t in texts).strip()
    return text if text and not text.startswith("<") and not text.startswith("Caveat:") else None


def _title(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"


def _clean(value):
    """Transcripts hold whatever tools printed: NUL characters and lone surrogates become U+FFFD."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value.replace("\x00", "\ufffd"))
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value

