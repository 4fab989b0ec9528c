"""Codex CLI rollouts: ~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl.

Since mid-2025 every line is `{"timestamp", "type", "payload"}` with `type` one of
`session_meta`, `response_item`, `event_msg`, `turn_context`, `compacted`. Older
rollouts start with a bare meta line `{"id", "timestamp", "instructions", "git"}`,
have `{"record_type": "state"}` lines, and put each response item on its own line.
Both become Managed Agents events:

    message, role user          → user.message (not the context Codex injects: AGENTS.md, <environment_context>…)
    message, role assistant     → agent.message
    message, role developer     → left out (instructions)
    reasoning                   → agent.thinking (no text is kept)
    function_call               → agent.tool_use {name, input: the parsed arguments; a shell's argv or
                                  `cmd` is also given as one string under `command`}
    local_shell_call            → agent.tool_use {name: "local_shell", input: {command, argv, workdir}}
    custom_tool_call            → agent.tool_use {name, input: {input}} (apply_patch and the like)
    web_search_call             → agent.tool_use {name: "web_search", input: the action}
    function_call_output,
    custom_tool_call_output     → agent.tool_result {tool_use_id by call_id, content, is_error}; is_error when
                                  the exit code is not 0, the output says success false, or an exec_command_end /
                                  patch_apply_end for the call says so
    output "… rejected by user" → user.tool_confirmation {result: deny} before that tool_result
    compacted, compaction       → agent.thread_context_compacted
    event_msg task_started      → session.status_running;  task_complete → session.status_idle
    event_msg turn_aborted      → user.interrupt (reason interrupted), else system.message
    event_msg error / warning   → session.error / system.message
    event_msg token_count       → the session's usage (the last total)

event_msg user_message / agent_message / agent_reasoning repeat response items and are
not imported twice; other known bookkeeping records are passed over; record types
this importer does not know are skipped with a warning. The session id is
"sesn_codex_" + the Codex session uuid, the agent "codex".
"""

import json
import re
import shlex
from pathlib import Path

from dreams.importers import SessionImport, loads
from dreams.importers.records import BadRecord, EventIds, Skips, clean, failed, read_text, session_id_for, text, \
    timestamp, title

DEFAULT_AGENT = "codex"
ENVELOPE_TYPES = {"session_meta", "response_item", "event_msg", "turn_context", "compacted"}
RESPONSE_ITEM_TYPES = {"message", "reasoning", "function_call", "function_call_output", "local_shell_call",
                       "custom_tool_call", "custom_tool_call_output", "web_search_call", "ghost_snapshot",
                       "compaction", "compaction_summary"}
# Event messages that repeat response items or only keep the UI's books.
_QUIET_EVENTS = {
    "user_message", "agent_message", "agent_reasoning", "agent_reasoning_raw_content", "agent_reasoning_section_break",
    "exec_command_begin", "exec_command_output_delta", "patch_apply_begin", "web_search_begin", "web_search_end",
    "mcp_tool_call_begin", "mcp_tool_call_end", "turn_diff", "plan_update", "entered_review_mode",
    "exited_review_mode", "context_compacted", "undo_started", "undo_completed", "item_started", "item_completed",
    "background_event", "session_configured", "exec_approval_request", "apply_patch_approval_request",
    "view_image_tool_call", "deprecation_notice", "thread_name_updated", "shutdown_complete",
}
_SHELLS = {"bash", "sh", "zsh", "dash", "fish", "pwsh", "powershell", "cmd"}
_EXIT = re.compile(r"^(?:Exit code: |Process exited with code )(-?\d+)\s*$", re.MULTILINE)
_REJECTED = re.compile(r"\brejected by (?:the )?user\b", re.IGNORECASE)
_WRAPPED = re.compile(r"^\s*<([A-Za-z_][\w-]*)>.*</\1>\s*$", re.DOTALL)


def looks_like_rollout(record) -> bool:
    """Whether a parsed first line is a Codex rollout's (new envelope or old bare meta/item)."""
    if not isinstance(record, dict):
        return False
    if record.get("type") in ENVELOPE_TYPES and isinstance(record.get("payload"), dict):
        return True
    if "record_type" in record:
        return True
    old_meta = isinstance(record.get("id"), str) and "timestamp" in record and "instructions" in record
    return old_meta or (record.get("type") in RESPONSE_ITEM_TYPES and "uuid" not in record)


def read_rollout(path: Path, *, agent_name: str | None = None) -> tuple[SessionImport, list[str]]:
    """The rollout as one session export, and warnings for the records that were skipped."""
    reader = _Reader(path)
    try:
        lines = read_text(path).splitlines()
        for number, line in enumerate(lines, start=1):
            if line.strip():
                reader.read_line(number, line)
        return reader.result(agent_name=agent_name or DEFAULT_AGENT), reader.skips.warnings()
    except BadRecord as exc:
        return failed(exc.where, exc.message), []


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.skips = Skips(path)
        self.ids = EventIds("cx")
        self.events: list[dict] = []
        self.meta: dict = {}
        self.git: dict = {}
        self.model = None
        self.first_prompt = None
        self.first_at = self.last_at = None
        self.usage: dict | None = None
        self.calls: dict[str, str] = {}  # call_id → the tool_use event id
        self.results: dict[str, dict] = {}  # call_id → its tool_result event
        self.failed_calls: set[str] = set()  # call_ids an end event reports failed

    def read_line(self, number: int, line: str) -> None:
        where = f"{self.path}:{number}"
        try:
            record = loads(line)
        except ValueError as exc:
            raise BadRecord(where, f"not valid JSON ({exc}); is this a Codex rollout?") from None
        if not isinstance(record, dict):
            raise BadRecord(where, "expected a JSON object; is this a Codex rollout?")
        if "payload" in record and "type" in record:
            kind, payload = record["type"], record["payload"]
            if not isinstance(kind, str) or not isinstance(payload, dict):
                raise BadRecord(where, "expected `type` a string and `payload` an object.")
        elif "record_type" in record:
            return None  # an old rollout's state snapshot
        elif isinstance(record.get("id"), str) and "timestamp" in record and "type" not in record:
            kind, payload = "session_meta", record  # an old rollout's first line
        elif isinstance(record.get("type"), str):
            kind, payload = "response_item", record
        else:
            raise BadRecord(where, "expected a rollout record with a string `type`.")
        at = timestamp(record.get("timestamp"), self.skips, where)
        if at:
            self.first_at = self.first_at or at
            self.last_at = at
        key = f"{number}\n{line}"
        if kind == "session_meta":
            return self._meta(where, payload)
        if kind == "turn_context":
            if self.model is None and isinstance(payload.get("model"), str):
                self.model = payload["model"]
            return None
        if kind == "compacted":
            return self._add({"type": "agent.thread_context_compacted", "processed_at": at}, key)
        if kind == "event_msg":
            return self._event_msg(number, where, payload, at, key)
        if kind == "response_item":
            return self._item(number, where, payload, at, key)
        self.skips.add(f"{self.path}:{number}", f"unknown record type {kind!r}")
        return None

    def _meta(self, where: str, payload: dict) -> None:
        meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else payload
        if not isinstance(meta.get("id"), str):
            raise BadRecord(where, "session_meta without a string `id`.")
        if self.meta:
            return None  # a resumed or forked rollout repeats the meta of the session it came from
        self.meta = meta
        git = payload.get("git") if isinstance(payload.get("git"), dict) else meta.get("git")
        self.git = git if isinstance(git, dict) else {}
        return None

    def _event_msg(self, number: int, where: str, payload: dict, at, key: str) -> None:
        kind = payload.get("type")
        if not isinstance(kind, str):
            raise BadRecord(where, "event_msg payload without a string `type`.")
        if kind == "task_started":
            self._add({"type": "session.status_running", "processed_at": at}, key)
        elif kind == "task_complete":
            self._add({"type": "session.status_idle", "processed_at": at, "stop_reason": {"type": "end_turn"}}, key)
        elif kind == "turn_aborted":
            reason = str(payload.get("reason") or "interrupted")
            if reason == "interrupted":
                self._add({"type": "user.interrupt", "processed_at": at}, key)
            else:
                self._add({"type": "system.message", "processed_at": at,
                           "content": [text(f"Turn aborted: {reason}.")]}, key)
        elif kind in ("error", "stream_error"):
            self._add({"type": "session.error", "processed_at": at, "error": {
                "type": "unknown_error", "message": str(payload.get("message") or kind),
                "retry_status": {"type": "retrying" if kind == "stream_error" else "terminal"}}}, key)
        elif kind == "warning":
            self._add({"type": "system.message", "processed_at": at,
                       "content": [text(str(payload.get("message") or ""))]}, key)
        elif kind == "token_count":
            info = payload.get("info")
            total = info.get("total_token_usage") if isinstance(info, dict) else None
            if isinstance(total, dict):
                self.usage = total
        elif kind in ("exec_command_end", "patch_apply_end"):
            exit_code = payload.get("exit_code")
            bad = payload.get("success") is False or (isinstance(exit_code, int) and exit_code != 0)
            if bad and isinstance(payload.get("call_id"), str):
                self.failed_calls.add(payload["call_id"])
        elif kind not in _QUIET_EVENTS:
            self.skips.add(f"{self.path}:{number}", f"unknown event_msg type {kind!r}")

    def _item(self, number: int, where: str, item: dict, at, key: str) -> None:
        kind = item.get("type")
        if kind == "message":
            return self._message(where, item, at, key)
        if kind == "reasoning":
            return self._add({"type": "agent.thinking", "processed_at": at}, key)
        if kind in ("function_call", "custom_tool_call", "local_shell_call", "web_search_call"):
            return self._tool_use(where, item, at, key)
        if kind in ("function_call_output", "custom_tool_call_output"):
            return self._tool_result(where, item, at, key)
        if kind in ("compaction", "compaction_summary"):
            return self._add({"type": "agent.thread_context_compacted", "processed_at": at}, key)
        if kind == "ghost_snapshot":
            return None  # an undo point Codex keeps in git, not part of the conversation
        self.skips.add(f"{self.path}:{number}", f"unknown response item type {kind!r}")
        return None

    def _message(self, where: str, item: dict, at, key: str) -> None:
        role, content = item.get("role"), item.get("content")
        if not isinstance(role, str) or not isinstance(content, (list, str)):
            raise BadRecord(where, "a message needs a string `role` and `content`.")
        if role not in ("user", "assistant"):
            return None  # developer / system instructions
        blocks = []
        for block in [{"type": "input_text", "text": content}] if isinstance(content, str) else content:
            if not isinstance(block, dict):
                raise BadRecord(where, "message content must be a list of objects.")
            if block.get("type") in ("input_text", "output_text", "text") and isinstance(block.get("text"), str):
                if role == "user" and _is_context(block["text"]):
                    continue
                blocks.append(text(block["text"]))
            elif block.get("type") in ("input_image", "image"):
                blocks.append(text("[image omitted]"))
            else:
                blocks.append(text(f"[{block.get('type') or 'content'} omitted]"))
        if not blocks:
            return None
        if role == "user" and self.first_prompt is None:
            self.first_prompt = " ".join(b["text"] for b in blocks)
        self._add({"type": "user.message" if role == "user" else "agent.message", "processed_at": at,
                   "content": blocks}, key)

    def _tool_use(self, where: str, item: dict, at, key: str) -> None:
        kind = item["type"]
        call_id = item.get("call_id") if isinstance(item.get("call_id"), str) else None
        if kind == "function_call":
            name, arguments = item.get("name"), item.get("arguments")
            if not isinstance(name, str) or not isinstance(arguments, (str, dict)):
                raise BadRecord(where, "a function_call needs a string `name` and `arguments`.")
            tool_input = _arguments(arguments)
        elif kind == "custom_tool_call":
            name = item.get("name")
            if not isinstance(name, str) or not isinstance(item.get("input"), str):
                raise BadRecord(where, "a custom_tool_call needs a string `name` and `input`.")
            tool_input = {"input": item["input"]}
        elif kind == "local_shell_call":
            action = item.get("action")
            if not isinstance(action, dict) or not isinstance(action.get("command"), list):
                raise BadRecord(where, "a local_shell_call needs an `action` with a `command` list.")
            name = "local_shell"
            tool_input = {"command": _command_line(action["command"]), "argv": action["command"]}
            for field in ("working_directory", "timeout_ms"):
                if action.get(field) is not None:
                    tool_input["workdir" if field == "working_directory" else field] = action[field]
            call_id = call_id or (item.get("id") if isinstance(item.get("id"), str) else None)
        else:  # web_search_call: the search runs on OpenAI's side; no output is recorded
            action = item.get("action")
            name = "web_search"
            tool_input = dict(action) if isinstance(action, dict) else {}
            call_id = item.get("id") if isinstance(item.get("id"), str) else None
        event_id = self.ids.for_record(key, source_id=call_id)
        if call_id:
            self.calls[call_id] = event_id
        self._add({"type": "agent.tool_use", "id": event_id, "processed_at": at, "name": name or "unknown",
                   "input": tool_input}, key, has_id=True)

    def _tool_result(self, where: str, item: dict, at, key: str) -> None:
        call_id = item.get("call_id")
        if not isinstance(call_id, str) or "output" not in item:
            raise BadRecord(where, f"a {item['type']} needs a string `call_id` and an `output`.")
        output, is_error = _output(item["output"])
        if output is None:
            raise BadRecord(where, "`output` must be a string, an object with `content`, or a list of content items.")
        tool_use_id = self.calls.get(call_id) or self.ids.for_record(f"use\n{call_id}", source_id=call_id)
        if _REJECTED.search(output[:200]):
            is_error = True
            self._add({"type": "user.tool_confirmation", "processed_at": at, "tool_use_id": tool_use_id,
                       "result": "deny", "deny_message": output[:2000]}, key + "\nconfirmation")
        event = {"type": "agent.tool_result", "processed_at": at, "tool_use_id": tool_use_id,
                 "is_error": is_error, "content": [text(output)]}
        self._add(event, key)
        self.results[call_id] = self.events[-1]

    def _add(self, event: dict, key: str, *, has_id: bool = False) -> None:
        if not has_id:
            event = {"type": event["type"], "id": self.ids.for_record(key), **event}
        self.events.append(clean(event))

    def result(self, *, agent_name: str) -> SessionImport:
        if not self.meta:
            raise BadRecord(str(self.path), "no session_meta record found; is this a Codex rollout?")
        for call_id in self.failed_calls:
            if call_id in self.results:
                self.results[call_id]["is_error"] = True
        codex_id = self.meta["id"]
        git = self.git
        metadata = {"source": "codex", "codex_session_id": codex_id, "cwd": self.meta.get("cwd"),
                    "cli_version": self.meta.get("cli_version"), "originator": self.meta.get("originator"),
                    "git_branch": git.get("branch"), "git_commit": git.get("commit_hash"),
                    "repository_url": git.get("repository_url")}
        metadata = {k: v[:512] for k, v in metadata.items() if isinstance(v, str) and v}
        agent = {"type": "agent", "name": agent_name}
        if self.model:
            agent["model"] = {"id": self.model}
        created = self.meta.get("timestamp") if isinstance(self.meta.get("timestamp"), str) else None
        session = {
            "type": "session", "id": session_id_for("codex", codex_id), "title": title(self.first_prompt),
            "agent": agent, "environment_id": "codex", "status": "idle", "metadata": clean(metadata),
            "created_at": timestamp(created, self.skips, f"{self.path}:1") or self.first_at, "updated_at": self.last_at,
            "archived_at": None,
        }
        if self.usage:
            session["usage"] = {k: v for k, v in {
                "input_tokens": self.usage.get("input_tokens"), "output_tokens": self.usage.get("output_tokens"),
                "cache_read_input_tokens": self.usage.get("cached_input_tokens")}.items() if isinstance(v, int)}
        return SessionImport(source=str(self.path), data={"session": session, "events": self.events},
                             agent_name=agent_name)


def _is_context(value: str) -> bool:
    """Text Codex adds to the user's turn itself: AGENTS.md, <environment_context>, <user_instructions>…"""
    return value.lstrip().startswith("# AGENTS.md instructions") or bool(_WRAPPED.match(value))


def _arguments(arguments) -> dict:
    """A function call's arguments (a JSON string), with a shell command also as one string under `command`."""
    if isinstance(arguments, str):
        try:
            parsed = loads(arguments) if arguments.strip() else {}
        except ValueError:
            return {"arguments": arguments}
    else:
        parsed = arguments
    if not isinstance(parsed, dict):
        return {"arguments": parsed}
    tool_input = dict(parsed)
    command = parsed.get("command")
    if isinstance(command, list) and all(isinstance(part, str) for part in command):
        tool_input["command"] = _command_line(command)
        tool_input["argv"] = command
    elif not isinstance(command, str) and isinstance(parsed.get("cmd"), str):
        tool_input["command"] = parsed["cmd"]
    return tool_input


def _command_line(argv: list) -> str:
    """["bash", "-lc", "ls -la"] is the command "ls -la"; any other argv is shell-quoted."""
    parts = [str(part) for part in argv]
    if len(parts) == 3 and Path(parts[0]).name in _SHELLS and parts[1] in ("-c", "-lc", "-l", "/c", "-Command"):
        return parts[2]
    return shlex.join(parts)


def _output(output) -> tuple[str | None, bool]:
    """A call's output as text, and whether it failed (success false, or a non-zero exit code)."""
    success = None
    if isinstance(output, dict):  # older rollouts: {"content": …, "success": …}
        success = output.get("success")
        output = output.get("content_items") or output.get("content")
    if isinstance(output, list):
        parts = []
        for item in output:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
            elif isinstance(item, dict):
                parts.append(f"[{item.get('type') or 'content'} omitted]")
        output = "\n".join(parts)
    if not isinstance(output, str):
        return None, False
    exit_code = None
    if output.startswith("{") and '"exit_code"' in output[-400:]:  # the shell tool's JSON: {"output", "metadata"}
        try:
            shaped = json.loads(output)
        except ValueError:
            shaped = None
        if isinstance(shaped, dict) and isinstance(shaped.get("output"), str):
            metadata = shaped.get("metadata") if isinstance(shaped.get("metadata"), dict) else {}
            exit_code = metadata.get("exit_code") if isinstance(metadata.get("exit_code"), int) else None
            output = shaped["output"]
    if exit_code is None:
        match = _EXIT.search(output[:600])
        exit_code = int(match.group(1)) if match else None
    return output, success is False or (exit_code is not None and exit_code != 0)
