"""Stage two: the dreamer consolidates the digests into the store, with tools.

Our own tool loop, sending the full history each turn: it works on Anthropic's API and on
gateways and local model servers that keep no conversation state (the SDK's tool runner
uses server-side message threads by default, which those may not offer). The digests go in
batches that fit the context; each batch is one round over the same working copy. No
request may exceed the context: old tool results are cleared first, and a round that
still would not fit ends there.
"""

import json

from anthropic.lib.tools import ToolError
from django.utils import timezone

from dreams.engines.base import EngineFailure
from dreams.engines.claude import prompts
from dreams.engines.claude.render import cut, estimate_tokens
from dreams.engines.claude.tools import DEFINITIONS, SessionTools

CLEARED = "[cleared to save context; call the tool again if you need this]"
MAX_RECORDED_CHARS = 4_000


def batches(digests: list[dict], *, max_tokens: int) -> list[list[str]]:
    """The digest blocks in groups that each fit `max_tokens`."""
    groups, current, size = [], [], 0
    for digest in digests:
        block = prompts.digest_block(digest)
        tokens = estimate_tokens(block)
        if current and size + tokens > max_tokens:
            groups.append(current)
            current, size = [], 0
        current.append(block)
        size += tokens
    if current or not groups:
        groups.append(current)
    return groups


class Consolidation:
    def __init__(self, *, gate, context, model_id: str, instructions: str | None, workcopy, sessions,
                 context_tokens: int, max_tokens: int, max_turns: int, store_inline_tokens: int):
        self.gate, self.context = gate, context
        self.model_id, self.instructions = model_id, instructions
        self.workcopy = workcopy
        self.tools = SessionTools(sessions, workcopy)
        self.context_tokens, self.max_tokens, self.max_turns = context_tokens, max_tokens, max_turns
        # The store's share of a round's first message: the setting, or a fifth of a small context.
        self.store_inline_tokens = min(store_inline_tokens, context_tokens // 5)
        self.system = prompts.with_instructions(prompts.CONSOLIDATE_SYSTEM, instructions)
        definitions = [{"type": "memory_20250818", "name": "memory"}, *DEFINITIONS]
        definitions[-1] = {**definitions[-1], "cache_control": {"type": "ephemeral"}}
        self.definitions = definitions
        self.tool_names = {d["name"] for d in definitions}
        self.turns = 0
        self._event_ids: set[str] = set()

    @property
    def annotations(self):
        return self.tools.annotations

    def digest_budget(self) -> int:
        """How many tokens of digests one round's first message may carry."""
        fixed = estimate_tokens(json.dumps(self.definitions)) + estimate_tokens(json.dumps(self.system))
        return max(2_000, int(self.context_tokens * 0.45) - fixed - self.store_inline_tokens)

    def run(self, digests: list[dict]) -> None:
        groups = batches(digests, max_tokens=self.digest_budget())
        for number, group in enumerate(groups, start=1):
            self.context.progress(step="consolidating", round=number, rounds=len(groups),
                                  changes_so_far=self.workcopy.writes)
            self._round(group, number, len(groups))

    def _store_block(self) -> str:
        index = self.workcopy.index(max_chars=self.store_inline_tokens)
        contents = None
        whole = sum(len(e.content) for e in self.workcopy.files.values())
        if estimate_tokens("x" * whole) < self.store_inline_tokens // 2:
            contents = "\n\n".join(f"=== {self.workcopy.tool_path(path)} ===\n{entry.content}"
                                   for path, entry in sorted(self.workcopy.files.items()))
        return prompts.store_block(index, contents)

    def _round(self, blocks: list[str], number: int, rounds: int) -> None:
        intro = (f"Round {number} of {rounds}. The store as it is now (your earlier rounds' edits included) and "
                 f"{len(blocks)} session digests follow. Improve the store with the memory tool, annotate each "
                 f"change, then reply with a summary. Today is {timezone.now().date().isoformat()} (UTC).")
        messages = [{"role": "user", "content": [
            {"type": "text", "text": self._store_block(), "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "\n".join(blocks) or "(no session digests: work from the store alone, "
                                                           "merging duplicates; change nothing without cause)"},
            {"type": "text", "text": intro},
        ]}]
        for turn in range(self.max_turns):
            params = self._params(messages)
            if params is None and turn == 0:
                raise EngineFailure(
                    f"A consolidation request does not fit the model's context of {self.context_tokens} tokens "
                    "(REVERIE_CLAUDE_CONTEXT_TOKENS) with the store index and one digest; raise it, or lower "
                    "REVERIE_CLAUDE_STORE_INLINE_TOKENS.", error_type="model_request_invalid")
            if params is None:
                self.context.record({"type": "agent.message", "content": [{"type": "text", "text":
                                     f"Round {number} ended: its conversation reached the context limit."}]})
                return
            message, seconds = self.gate.call(params)
            self.turns += 1
            self._record_turn(message, seconds)
            uses = [b for b in message.content if getattr(b, "type", None) == "tool_use"]
            # A call of a tool it was not given: the API refuses any history that names one, so no
            # tool_result can answer it. The call goes back as text, and its error as text after the results.
            unknown = {use.id: use for use in uses if use.name not in self.tool_names}
            messages.append({"role": "assistant", "content": [
                self._unknown_call(unknown[b.id]) if getattr(b, "id", None) in unknown
                else b.model_dump(exclude_none=True) for b in message.content]})
            if message.stop_reason == "pause_turn":
                continue
            if not uses:
                return
            results = [self._run_tool(use, truncated=message.stop_reason == "max_tokens") for use in uses
                       if use.id not in unknown]
            results += [self._unknown_tool(use) for use in unknown.values()]
            messages.append({"role": "user", "content": results})
        self.context.record({"type": "agent.message", "content": [{"type": "text", "text":
                             f"Round {number} ended after {self.max_turns} turns."}]})

    def _params(self, messages: list[dict]) -> dict | None:
        """The next request, with old tool results cleared if the history grew too long; None if nothing fits."""
        limit = self.context_tokens - self.max_tokens
        self._mark_cache(messages)
        while True:
            params = {"model": self.model_id, "max_tokens": self.max_tokens, "system": self.system,
                      "tools": self.definitions, "messages": messages}
            size = estimate_tokens(json.dumps(params, ensure_ascii=False))
            if size <= limit:
                return params
            if not self._clear_oldest(messages):
                return None

    @staticmethod
    def _mark_cache(messages: list[dict]) -> None:
        """One moving breakpoint on the newest user turn, so each call reads the last one's prefix from cache."""
        for message in messages[1:]:
            for block in message["content"]:
                if isinstance(block, dict):
                    block.pop("cache_control", None)
        last = messages[-1]
        if len(messages) > 1 and last["role"] == "user" and last["content"]:
            last["content"][-1]["cache_control"] = {"type": "ephemeral"}

    @staticmethod
    def _clear_oldest(messages: list[dict]) -> bool:
        results = [block for message in messages[1:] if message["role"] == "user" for block in message["content"]
                   if block.get("type") == "tool_result" and block.get("content") != CLEARED]
        if not results:
            return False
        results[0]["content"] = CLEARED
        return True

    @staticmethod
    def _unknown_call(use) -> dict:
        call = cut(json.dumps(use.input, ensure_ascii=False, sort_keys=True), 2_000)
        return {"type": "text", "text": f"[call of tool {use.name!r} with input {call}: not run, no such tool]"}

    def _unknown_tool(self, use) -> dict:
        message = (f"Tool error: Unknown tool {use.name!r}; your call of it was not run. The tools are: "
                   f"{', '.join(sorted(self.tool_names))}.")
        event_id = self._event_id(use.id)
        self.context.record({"type": "agent.tool_use", "id": event_id, "name": use.name, "input": use.input})
        self.context.record({"type": "agent.tool_result", "tool_use_id": event_id, "is_error": True,
                             "content": [{"type": "text", "text": message}]})
        return {"type": "text", "text": message}

    def _event_id(self, use_id) -> str:
        """The id of a call's event in the dream's transcript, unique in it (session events may not repeat
        an id): the model's own, unless a server repeats ids, as gateways and local servers may."""
        base = use_id if isinstance(use_id, str) and 0 < len(use_id) <= 100 else "tool_call"
        event_id, number = base, 1
        while event_id in self._event_ids:
            number += 1
            event_id = f"{base}.{number}"
        self._event_ids.add(event_id)
        return event_id

    def _run_tool(self, use, *, truncated: bool) -> dict:
        event_id = self._event_id(use.id)
        self.context.record({"type": "agent.tool_use", "id": event_id, "name": use.name, "input": use.input})
        try:
            if truncated:
                raise ToolError("Your reply was cut off at max_tokens, so this call may be incomplete and was not "
                                "run. Make smaller edits, one file at a time.")
            if use.name == "memory":
                output = self._memory(use.input)
            else:
                output = self.tools.run(use.name, use.input)
            is_error = False
        except ToolError as exc:
            output, is_error = str(exc), True
        self.context.record({"type": "agent.tool_result", "tool_use_id": event_id, "is_error": is_error,
                             "content": [{"type": "text", "text": cut(output, MAX_RECORDED_CHARS)}]})
        return {"type": "tool_result", "tool_use_id": use.id, "content": output, "is_error": is_error}

    def _memory(self, tool_input) -> str:
        if not isinstance(tool_input, dict) or tool_input.get("command") not in (
                "view", "create", "str_replace", "insert", "delete", "rename"):
            command = tool_input.get("command") if isinstance(tool_input, dict) else None
            raise ToolError(f"Unknown memory command {command!r}: use view, create, str_replace, insert, delete "
                            "or rename.")
        try:
            return self.workcopy.call(tool_input)
        except ToolError:
            raise
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ToolError(f"Invalid {tool_input['command']} command: {exc}") from None

    def _record_turn(self, message, seconds: float) -> None:
        text = [{"type": "text", "text": b.text} for b in message.content if getattr(b, "type", None) == "text"]
        if text:
            self.context.record({"type": "agent.message", "content": text})
        self.context.record({"type": "span.model_request_end", "stage": "consolidate", "seconds": round(seconds, 3),
                             "stop_reason": message.stop_reason,
                             "usage": message.usage.model_dump(exclude_none=True)})
