"""Stage one: a digest of each session, made with bounded concurrency and cached.

A session's digest is keyed by the hash of its events, the model, the prompt version and
the instructions, so a rerun over the same sessions pays nothing for them. A transcript
longer than one request's share of the context is digested in parts.
"""

import hashlib
import json
from concurrent.futures import Future

from dreams.engines.claude import prompts
from dreams.engines.claude.render import estimate_tokens, event_text

DIGEST_KINDS = {"error_recovery", "harness_rule", "user_correction", "confirmed_fact", "contradicted_fact", "other"}
MAX_LESSONS = 30


def cache_key(*, content_sha256: str, model_id: str, instructions: str | None, chunk_tokens: int) -> str:
    material = json.dumps([content_sha256, model_id, prompts.PROMPT_VERSION, instructions or "", chunk_tokens])
    return hashlib.sha256(material.encode()).hexdigest()


def read_session(session) -> tuple[list[str], set[str], str]:
    """(the session's event lines, its event ids, the hash of its content)."""
    digest = hashlib.sha256()
    lines, ids = [], set()
    for event in session.events():
        digest.update(json.dumps([event.id, event.type, event.payload], sort_keys=True, default=str).encode())
        ids.add(event.id)
        if (line := event_text(event)) is not None:
            lines.append(line)
    return lines, ids, digest.hexdigest()


def chunk(lines: list[str], *, chunk_tokens: int) -> list[str]:
    parts, current, size = [], [], 0
    for line in lines:
        tokens = estimate_tokens(line)
        if current and size + tokens > chunk_tokens:
            parts.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += tokens
    if current or not parts:
        parts.append("\n".join(current) or "(no readable events)")
    return parts


def parse_digest(message, event_ids: set[str]) -> dict:
    """The record_digest call of a reply, with invented event ids dropped; text if the model wrote prose."""
    for block in message.content:
        if getattr(block, "type", None) == "tool_use" and block.name == "record_digest" and \
                isinstance(block.input, dict):
            lessons = []
            for lesson in block.input.get("lessons") or []:
                if not isinstance(lesson, dict) or not isinstance(lesson.get("text"), str):
                    continue
                ids = [i for i in lesson.get("event_ids") or [] if isinstance(i, str) and i in event_ids]
                kind = lesson.get("kind") if lesson.get("kind") in DIGEST_KINDS else "other"
                lessons.append({"kind": kind, "text": lesson["text"][:1000], "event_ids": ids[:20]})
            summary = block.input.get("summary")
            return {"summary": summary[:1000] if isinstance(summary, str) else "", "lessons": lessons[:MAX_LESSONS]}
    text = " ".join(getattr(b, "text", "") for b in message.content if getattr(b, "type", None) == "text")
    return {"summary": text.strip()[:1000], "lessons": []}


class DigestStage:
    def __init__(self, *, gate, context, model_id: str, instructions: str | None, store_index: str,
                 chunk_tokens: int, max_tokens: int, concurrency: int, budget_share: float):
        self.gate, self.context = gate, context
        self.model_id, self.instructions = model_id, instructions
        self.store_index = store_index
        self.chunk_tokens, self.max_tokens = chunk_tokens, max_tokens
        self.window = max(1, concurrency) * 2  # calls queued or in flight at once
        budget = context.budget_tokens
        self.stop_at = int(budget * budget_share) if budget is not None else None
        self.digests: list[dict] = []
        self.cached = self.made = self.skipped = 0
        self._parts: dict[str, dict] = {}
        self._flight: dict[Future, tuple[str, int]] = {}

    def run(self, sessions) -> list[dict]:
        total = 0
        for session in sessions:
            total += 1
            if self.stop_at is not None:
                while self._flight and self._spent():  # what is in flight may use less than it might
                    self._collect(self.gate.first_done(set(self._flight)))
                if self._spent():
                    self.skipped += 1  # the rest of the budget is for consolidating what was digested
                    continue
            self.context.progress(step="digesting sessions", session_id=session.id, sessions_read=total,
                                  digests_cached=self.cached, digests_made=self.made)
            lines, ids, sha = read_session(session)
            key = cache_key(content_sha256=sha, model_id=self.model_id, instructions=self.instructions,
                            chunk_tokens=self.chunk_tokens)
            header = {"session_id": session.id, "agent": session.agent_name, "outcome": session.outcome_result,
                      "date": (getattr(session, "created_at", None) or "")[:10]}
            if (cached := self.context.digests.get(key)) is not None:
                self.cached += 1
                self.digests.append({**cached, **header})
                continue
            parts = chunk(lines, chunk_tokens=self.chunk_tokens)
            self._parts[session.id] = {"header": header, "key": key, "ids": ids, "left": len(parts),
                                       "summaries": [""] * len(parts), "lessons": [[] for _ in parts]}
            for number, text in enumerate(parts):
                while len(self._flight) >= self.window:
                    self._collect(self.gate.first_done(set(self._flight)))
                future = self.gate.submit(self._params(session, text, number + 1, len(parts)))
                self._flight[future] = (session.id, number)
        while self._flight:
            self._collect(self.gate.first_done(set(self._flight)))
        return self.digests

    def _spent(self) -> bool:
        """Whether what was used plus the most that calls in flight may use reaches the digests' share."""
        return self.context.tokens_used + self.gate.reserved >= self.stop_at

    def _params(self, session, text: str, part: int, parts: int) -> dict:
        return {
            "model": self.model_id, "max_tokens": self.max_tokens,
            "system": prompts.with_instructions(prompts.DIGEST_SYSTEM, self.instructions),
            "tools": [prompts.DIGEST_TOOL], "tool_choice": {"type": "tool", "name": "record_digest"},
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": prompts.store_block(self.store_index, None),
                 "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": prompts.transcript_block(session, text, part=part, parts=parts)},
            ]}],
        }

    def _collect(self, done) -> None:
        for future in done:
            session_id, number = self._flight.pop(future)
            message, seconds = self.gate.result(future)
            state = self._parts[session_id]
            parsed = parse_digest(message, state["ids"])
            # What the dreamer made of the session, in its own transcript, for the operator to read.
            self.context.record({"type": "agent.tool_use", "name": "record_digest",
                                 "input": {"session_id": session_id, "part": number + 1, **parsed}})
            self.context.record({"type": "span.model_request_end", "stage": "digest", "session_id": session_id,
                                 "part": number + 1, "seconds": round(seconds, 3),
                                 "usage": message.usage.model_dump(exclude_none=True)})
            state["summaries"][number] = parsed["summary"]
            state["lessons"][number] = parsed["lessons"]
            state["left"] -= 1
            if state["left"] == 0:
                digest = {"summary": " ".join(s for s in state["summaries"] if s)[:2000],
                          "lessons": [lesson for part in state["lessons"] for lesson in part][:MAX_LESSONS]}
                self.context.digests.put(state["key"], session_id=session_id, model_id=self.model_id, digest=digest)
                self.digests.append({**digest, **state["header"]})
                self.made += 1
                del self._parts[session_id]
