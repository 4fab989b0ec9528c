"""OpenHands event logs: a conversation's events as OpenHands serializes them
(`openhands/events/serialization/event.py`): a JSON array (`save_trajectory_path`, the
GUI's download), `{"trajectory": [...]}` (the trajectory API) or `{"history": [...]}`,
older trajectories of `[action, observation]` pairs, or JSON lines of events.

Each event has `id`, `timestamp`, `source` (user / agent / environment), and either
`action` with `args` or `observation` with `content` and `extras`; an observation's
`cause` is the id of the action it answers. They become Managed Agents events:

    message (source user)       → user.message;  message (source agent) → agent.message
    run, run_ipython, read, write, edit, browse, browse_interactive, call_tool_mcp, think,
    delegate, task_tracking     → agent.tool_use {name: the LLM tool name from tool_call_metadata
                                  (execute_bash, str_replace_editor…) else the action class (CmdRunAction…),
                                  input: the tool call's arguments, else the action's args; `command` for a
                                  shell}; the action's `thought` first, as agent.message
    its observation (by cause)  → agent.tool_result {tool_use_id, content, is_error: exit code > 0, success
                                  false, a browser error, or an error observation}
    user_rejected               → user.tool_confirmation {result: deny} and an error tool_result
    error (answering no action) → session.error
    finish / reject             → agent.message (final thought / reason); task_completed kept in metadata
    condensation                → agent.thread_context_compacted
    agent_state_changed         → session.status_running (running), session.status_idle (awaiting input,
                                  finished, paused, stopped, rejected), session.error (error)
    stop (source user)          → user.interrupt

System prompts, recalls, null observations and other bookkeeping are passed over;
action or observation types this importer does not know are skipped with a warning.
An exit code of -1 means OpenHands had none (the command was still running when it
returned), which is not counted as an error.

A trajectory does not carry its conversation id: a file named after one (the
`save_trajectory_path` folder does that) is "sesn_oh_" + that id, anything else
"sesn_oh_" + a digest of its first event, which stays the same as the log grows.
"""

import hashlib
import json
import re
from pathlib import Path

from dreams.importers import SessionImport, loads
from dreams.importers.records import BadRecord, EventIds, Skips, clean, failed, read_text, session_id_for, text, \
    timestamp, title

DEFAULT_AGENT = "openhands"
TOOL_ACTIONS = {
    "run": "CmdRunAction", "run_ipython": "IPythonRunCellAction", "read": "FileReadAction",
    "write": "FileWriteAction", "edit": "FileEditAction", "browse": "BrowseURLAction",
    "browse_interactive": "BrowseInteractiveAction", "call_tool_mcp": "MCPAction", "think": "AgentThinkAction",
    "delegate": "AgentDelegateAction", "task_tracking": "TaskTrackingAction", "push": "PushAction",
    "send_pr": "SendPRAction",
}
_QUIET_ACTIONS = {"system", "change_agent_state", "recall", "null", "condensation_request", "pause", "resume",
                  "start", "loop_recovery"}
_TOOL_OBSERVATIONS = {"run", "run_ipython", "read", "write", "edit", "browse", "think", "mcp", "delegate",
                      "download", "task_tracking", "success", "chat"}
_QUIET_OBSERVATIONS = {"null", "recall", "message", "loop_detection"}
_IDLE_STATES = {"awaiting_user_input", "finished", "paused", "stopped", "rejected", "user_rejected"}
# Args that steer OpenHands itself rather than say what the agent asked for.
_INTERNAL_ARGS = {"thought", "security_risk", "confirmation_state", "is_confirmed", "blocking", "is_static", "hidden",
                  "impl_source", "include_extra", "kernel_init_code", "translated_ipython_code", "wait_for_response", "keep_prompt"}
_CONVERSATION_ID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F-]{36}")


def looks_like_events(data) -> bool:
    """Whether parsed JSON (a whole .json, or a .jsonl's first line) is an OpenHands log."""
    if isinstance(data, dict) and isinstance(data.get("trajectory" if "trajectory" in data else "history"), list):
        data = data.get("trajectory" if "trajectory" in data else "history")
    if isinstance(data, list):
        first = data[0] if data else None
        if isinstance(first, list) and first:  # old [action, observation] pairs
            first = first[0]
        data = first
    return isinstance(data, dict) and ("action" in data or "observation" in data) and "source" in data


def read_events(path: Path, *, agent_name: str | None = None) -> tuple[SessionImport, list[str]]:
    """The event log as one session export, and warnings for the events that were skipped."""
    reader = _Reader(path)
    try:
        for where, position, event in _records(path):
            reader.read_event(where, position, event)
        return reader.result(agent_name=agent_name or DEFAULT_AGENT), reader.skips.warnings()
    except BadRecord as exc:
        return failed(exc.where, exc.message), []


def _records(path: Path):
    """(where, position, event) for each event: "path:line" in JSON lines, "path[index]" in a JSON array."""
    content = read_text(path)
    if path.suffix == ".jsonl":
        for number, line in enumerate(content.splitlines(), start=1):
            if line.strip():
                try:
                    yield f"{path}:{number}", number, loads(line)
                except ValueError as exc:
                    raise BadRecord(f"{path}:{number}", f"not valid JSON ({exc}).") from None
        return
    try:
        data = loads(content)
    except json.JSONDecodeError as exc:
        raise BadRecord(f"{path}:{exc.lineno}", f"not valid JSON ({exc.msg}, column {exc.colno}).") from None
    except ValueError as exc:
        raise BadRecord(str(path), f"not valid JSON ({exc}).") from None
    if isinstance(data, dict):
        data = data.get("trajectory") if "trajectory" in data else data.get("history")
    if not isinstance(data, list):
        raise BadRecord(str(path), 'expected a JSON array of OpenHands events, or {"trajectory": [...]}.')
    position = 0
    for index, item in enumerate(data):
        for event in item if isinstance(item, list) else [item]:  # old trajectories pair action and observation
            position += 1
            yield f"{path}[{index}]", position, event


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.skips = Skips(path)
        self.ids = EventIds("oh")
        self.events: list[dict] = []
        self.first_event = None
        self.first_prompt = self.model = None
        self.first_at = self.last_at = None
        self.actions: dict = {}  # OpenHands event id / tool_call_id → the tool_use event id
        self.info: dict = {}
        self.usage: dict | None = None

    def read_event(self, where: str, position: int, event) -> None:
        if not isinstance(event, dict):
            raise BadRecord(where, "expected an OpenHands event object; is this an OpenHands event log?")
        if self.first_event is None:
            self.first_event = event
        source = event.get("source")
        at = timestamp(event.get("timestamp"), self.skips, where)
        if at:
            self.first_at = self.first_at or at
            self.last_at = at
        key = f"{position}\n{json.dumps(event, sort_keys=True, ensure_ascii=False)}"
        self._metrics(event)
        if "action" in event:
            kind, args = event["action"], event.get("args", {})
            if not isinstance(kind, str) or not isinstance(args, dict):
                raise BadRecord(where, "an action needs a string `action` and an object `args`.")
            return self._action(where, event, kind, args, source, at, key)
        if "observation" in event:
            kind, extras = event["observation"], event.get("extras", {})
            if not isinstance(kind, str) or not isinstance(extras, dict) or not isinstance(event.get("content", ""), str):
                raise BadRecord(where, "an observation needs a string `observation` and `content`, an object `extras`.")
            return self._observation(where, event, kind, extras, at, key)
        raise BadRecord(where, "an OpenHands event has `action` or `observation`; is this an OpenHands event log?")

    def _action(self, where, event, kind, args, source, at, key) -> None:
        thought = args.get("thought") if isinstance(args.get("thought"), str) else ""
        if kind == "message":
            content = args.get("content", event.get("message"))
            if not isinstance(content, str):
                raise BadRecord(where, "a message action needs string content.")
            blocks = [text(content)] if content.strip() else []
            blocks += [text("[image omitted]") for _ in args.get("image_urls") or []]
            if not blocks:
                return None
            if source == "user":
                self.first_prompt = self.first_prompt or content
                return self._add({"type": "user.message", "processed_at": at, "content": blocks}, key, event)
            return self._add({"type": "agent.message", "processed_at": at, "content": blocks}, key, event)
        if kind in TOOL_ACTIONS:
            return self._tool_use(event, kind, args, thought, at, key)
        if kind in ("finish", "reject"):
            outputs = args.get("outputs") if isinstance(args.get("outputs"), dict) else {}
            said = args.get("final_thought") or thought or outputs.get("content") or outputs.get("reason") or ""
            if kind == "finish" and args.get("task_completed") is not None:
                self.info["task_completed"] = str(args["task_completed"])
            if kind == "reject":
                said = f"Task rejected: {said}" if said else "Task rejected."
            if isinstance(said, str) and said.strip():
                self._add({"type": "agent.message", "processed_at": at, "content": [text(said)]}, key, event)
            return None
        if kind == "condensation":
            return self._add({"type": "agent.thread_context_compacted", "processed_at": at}, key, event)
        if kind == "stop":
            if source == "user":
                self._add({"type": "user.interrupt", "processed_at": at}, key, event)
            return None
        if kind == "system":
            for field in ("agent_class", "openhands_version"):
                if isinstance(args.get(field), str):
                    self.info[field] = args[field]
            return None
        if kind not in _QUIET_ACTIONS:
            self.skips.add(where, f"unknown action type {kind!r}")
        return None

    def _tool_use(self, event, kind, args, thought, at, key) -> None:
        metadata = event.get("tool_call_metadata") if isinstance(event.get("tool_call_metadata"), dict) else {}
        call_id = metadata.get("tool_call_id") if isinstance(metadata.get("tool_call_id"), str) else None
        name = metadata.get("function_name") if isinstance(metadata.get("function_name"), str) else None
        if kind == "call_tool_mcp" and isinstance(args.get("name"), str):
            name = name or args["name"]
        tool_input = _called_arguments(metadata, call_id)
        if tool_input is None:
            tool_input = {k: v for k, v in args.items() if k not in _INTERNAL_ARGS and v is not None}
        if kind == "think":
            tool_input = tool_input or {"thought": thought}
        elif thought.strip():
            self._add({"type": "agent.message", "processed_at": at, "content": [text(thought)]},
                      key + "\nthought", None)
        if kind == "run" and not isinstance(tool_input.get("command"), str) and isinstance(args.get("command"), str):
            tool_input["command"] = args["command"]
        self._add({"type": "agent.tool_use", "processed_at": at, "name": name or TOOL_ACTIONS[kind],
                   "input": tool_input}, key, event)
        event_id = self.events[-1]["id"]
        if event.get("id") is not None:
            self.actions[("event", event["id"])] = event_id
        if call_id:
            self.actions[("call", call_id)] = event_id

    def _observation(self, where, event, kind, extras, at, key) -> None:
        content = event.get("content") or ""
        metadata = event.get("tool_call_metadata") if isinstance(event.get("tool_call_metadata"), dict) else {}
        tool_use_id = self.actions.get(("event", event.get("cause"))) or self.actions.get(
            ("call", metadata.get("tool_call_id")))
        if kind == "agent_state_changed":
            return self._state(extras, at, key, event)
        if kind == "condense":
            return self._add({"type": "agent.thread_context_compacted", "processed_at": at}, key, event)
        if kind in _QUIET_OBSERVATIONS:
            return None
        if kind == "user_rejected" and tool_use_id:
            self._add({"type": "user.tool_confirmation", "processed_at": at, "tool_use_id": tool_use_id,
                       "result": "deny", "deny_message": content[:2000]}, key + "\nconfirmation", None)
            return self._result(tool_use_id, content, True, at, key, event)
        if kind == "error":
            if tool_use_id:
                return self._result(tool_use_id, content, True, at, key, event)
            return self._add({"type": "session.error", "processed_at": at, "error": {
                "type": "unknown_error", "message": content or "error", "retry_status": {"type": "terminal"}}},
                key, event)
        if kind in _TOOL_OBSERVATIONS:
            if tool_use_id is None:
                self.skips.add(where, f"a {kind!r} observation answering no action")
                return None
            return self._result(tool_use_id, content, _is_error(event, kind, extras), at, key, event)
        self.skips.add(where, f"unknown observation type {kind!r}")
        return None

    def _state(self, extras, at, key, event) -> None:
        state = extras.get("agent_state")
        if not isinstance(state, str):
            return None
        self.info["final_agent_state"] = state
        if state == "running":
            self._add({"type": "session.status_running", "processed_at": at}, key, event)
        elif state in _IDLE_STATES:
            self._add({"type": "session.status_idle", "processed_at": at, "stop_reason": {"type": state}}, key, event)
        elif state == "error":
            reason = extras.get("reason") if isinstance(extras.get("reason"), str) and extras["reason"] else state
            self._add({"type": "session.error", "processed_at": at, "error": {
                "type": "unknown_error", "message": reason, "retry_status": {"type": "terminal"}}}, key, event)

    def _result(self, tool_use_id, content, is_error, at, key, event) -> None:
        self._add({"type": "agent.tool_result", "processed_at": at, "tool_use_id": tool_use_id,
                   "is_error": is_error, "content": [text(content)]}, key, event)

    def _metrics(self, event) -> None:
        metrics = event.get("llm_metrics")
        usage = metrics.get("accumulated_token_usage") if isinstance(metrics, dict) else None
        if isinstance(usage, dict):
            self.usage = usage
        metadata = event.get("tool_call_metadata")
        response = metadata.get("model_response") if isinstance(metadata, dict) else None
        if self.model is None and isinstance(response, dict) and isinstance(response.get("model"), str):
            self.model = response["model"]

    def _add(self, payload: dict, key: str, event) -> None:
        source_id = event.get("id") if isinstance(event, dict) and isinstance(event.get("id"), int) else None
        payload = {"type": payload["type"], "id": self.ids.for_record(key, source_id=source_id), **payload}
        self.events.append(clean(payload))

    def result(self, *, agent_name: str) -> SessionImport:
        if self.first_event is None:
            raise BadRecord(str(self.path), "no events found; is this an OpenHands event log?")
        if _CONVERSATION_ID.fullmatch(self.path.stem):
            source_id = self.path.stem
        else:
            first = json.dumps(self.first_event, sort_keys=True, ensure_ascii=False)
            source_id = hashlib.sha256(first.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        metadata = {"source": "openhands", "openhands_conversation": source_id, "file": self.path.name[:512],
                    **{k: v[:512] for k, v in self.info.items()}}
        agent = {"type": "agent", "name": agent_name}
        if self.model:
            agent["model"] = {"id": self.model}
        session = {
            "type": "session", "id": session_id_for("oh", source_id), "title": title(self.first_prompt),
            "agent": agent, "environment_id": "openhands",
            "status": "terminated" if self.info.get("final_agent_state") == "error" else "idle",
            "metadata": clean(metadata), "created_at": self.first_at, "updated_at": self.last_at, "archived_at": None,
        }
        if self.usage:
            session["usage"] = {k: v for k, v in {
                "input_tokens": self.usage.get("prompt_tokens"), "output_tokens": self.usage.get("completion_tokens"),
                "cache_read_input_tokens": self.usage.get("cache_read_tokens")}.items() if isinstance(v, int)}
        return SessionImport(source=str(self.path), data={"session": session, "events": self.events},
                             agent_name=agent_name)


def _called_arguments(metadata: dict, call_id) -> dict | None:
    """The arguments the model gave the tool call, from the model response OpenHands keeps beside the action."""
    response = metadata.get("model_response")
    choices = response.get("choices") if isinstance(response, dict) else None
    for choice in choices if isinstance(choices, list) else []:
        message = choice.get("message") if isinstance(choice, dict) else None
        for call in (message or {}).get("tool_calls") or []:
            if not isinstance(call, dict) or call.get("id") != call_id or not isinstance(call.get("function"), dict):
                continue
            arguments = call["function"].get("arguments")
            try:
                parsed = loads(arguments) if isinstance(arguments, str) else arguments
            except ValueError:
                return {"arguments": arguments}
            return parsed if isinstance(parsed, dict) else {"arguments": parsed}
    return None


def _is_error(event: dict, kind: str, extras: dict) -> bool:
    if isinstance(event.get("success"), bool) and kind != "run":
        return not event["success"]
    if kind == "run":
        metadata = extras.get("metadata") if isinstance(extras.get("metadata"), dict) else {}
        exit_code = metadata.get("exit_code", extras.get("exit_code"))
        return isinstance(exit_code, int) and exit_code > 0  # -1: no exit code yet (still running)
    if kind == "browse":
        return bool(extras.get("error"))
    return False
