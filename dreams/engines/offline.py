"""reverie-offline: the built-in engine. Deterministic, no network.

It reads each memory as a list of facts (one per non-heading line) and, for
now, does one thing: finds facts repeated across or within memories and
proposes keeping one copy. The canonical copy stays in the memory that holds
the most facts (a shared document rather than a scratch note), ties going to
the shorter path. A memory left with no facts once its copies go is deleted.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator

from dreams.engines import similarity
from dreams.engines.base import BaseMemory, Change, Context, SessionRecord

NAME = "reverie-offline"
EXCERPT = 90
MAX_EVIDENCE_EVENTS = 10


@dataclass(frozen=True)
class Fact:
    memory: BaseMemory
    line_no: int
    text: str


def split_facts(memory: BaseMemory) -> list[Fact]:
    facts = []
    in_code = False
    for line_no, line in enumerate(memory.content.split("\n")):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not stripped or stripped.startswith("#"):
            continue
        facts.append(Fact(memory=memory, line_no=line_no, text=stripped))
    return facts


def excerpt(text: str) -> str:
    text = text.lstrip("-*• ").strip()
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


class OfflineEngine:
    name = NAME

    def run(self, *, base: list[BaseMemory], sessions: Iterable[SessionRecord], instructions: str | None,
            context: Context) -> Iterator[Change]:
        facts: list[Fact] = []
        for memory in base:
            context.charge(read=memory.content)
            facts.extend(split_facts(memory))
        context.progress(step="reading memories", memories=len(base), facts=len(facts))

        token_sets = [similarity.tokens(f.text) for f in facts]
        groups = similarity.clusters(token_sets)
        context.progress(step="finding duplicates", duplicate_groups=len(groups))
        if not groups:
            return

        mentions = self._find_mentions(groups, token_sets, sessions, context)
        yield from self._merge(groups, facts, mentions, context)

    def _find_mentions(self, groups, token_sets, sessions, context) -> dict[int, list[dict]]:
        """Session events whose text states a duplicated fact: the evidence that it is one fact."""
        index = similarity.LshIndex()
        group_of = {}
        for g, members in enumerate(groups):
            for i in members:
                group_of[i] = g
                index.add(i, similarity.signature(token_sets[i]))
        found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for n, session in enumerate(sessions, start=1):
            context.progress(step="reading sessions", session_id=session.id, sessions_read=n)
            for event in session.events():
                for chunk in _texts(event.payload):
                    context.charge(read=chunk)
                    for sentence in _sentences(chunk):
                        sentence_tokens = similarity.tokens(sentence)
                        for i in index.candidates(similarity.signature(sentence_tokens)):
                            if similarity.same_fact(sentence_tokens, token_sets[i]):
                                events = found[group_of[i]][session.id]
                                if event.id not in events and len(events) < MAX_EVIDENCE_EVENTS:
                                    events.append(event.id)
        return {g: [{"type": "session", "session_id": s, "event_ids": e} for s, e in sorted(by.items())]
                for g, by in found.items()}

    def _merge(self, groups, facts, mentions, context) -> Iterator[Change]:
        fact_count = defaultdict(int)
        for fact in facts:
            fact_count[fact.memory.memory_id] += 1
        drop: dict[str, set[int]] = defaultdict(set)  # memory_id -> line numbers to remove
        reasons: dict[str, list[tuple[Fact, list[Fact], int]]] = defaultdict(list)
        for g, members in enumerate(groups):
            copies = [facts[i] for i in members]
            keep = min(copies, key=lambda f: (-fact_count[f.memory.memory_id], f.memory.path, f.line_no))
            for fact in copies:
                if fact is keep:
                    continue
                drop[fact.memory.memory_id].add(fact.line_no)
                reasons[fact.memory.memory_id].append((keep, copies, g))

        by_id = {f.memory.memory_id: f.memory for f in facts}
        for memory_id in sorted(drop, key=lambda m: by_id[m].path):
            memory = by_id[memory_id]
            lines = memory.content.split("\n")
            kept_lines = [line for n, line in enumerate(lines) if n not in drop[memory_id]]
            remaining = [f for f in split_facts(memory) if f.line_no not in drop[memory_id]]
            keep, copies, g = reasons[memory_id][0]
            evidence = [
                {"type": "memory", "memory_id": c.memory.memory_id, "path": c.memory.path,
                 "version_id": c.memory.version_id, "line": c.line_no + 1, "excerpt": excerpt(c.text)}
                for c in copies
            ]
            evidence += [{"type": "session", "session_id": s, "event_ids": []}
                         for c in copies for s in c.memory.written_by_sessions]
            evidence += mentions.get(g, [])
            extra = len(reasons[memory_id]) - 1
            also = f" (and {extra} more duplicate{'s' if extra > 1 else ''})" if extra else ""
            if not remaining:
                rationale = (f"Holds only a copy of “{excerpt(keep.text)}”{also}, one of {len(copies)} copies; "
                             f"the fact is kept in {keep.memory.path}.")
                change = Change(operation="delete", category="dedup", rationale=rationale[:500],
                                evidence=evidence, memory_id=memory_id)
            else:
                content = "\n".join(kept_lines)
                rationale = (f"Merged “{excerpt(keep.text)}”{also} into {keep.memory.path}: "
                             f"one of {len(copies)} copies of the same fact.")
                change = Change(operation="modify", category="dedup", rationale=rationale[:500],
                                evidence=evidence, memory_id=memory_id, path=memory.path, content=content)
                context.charge(written=content)
            yield change


def _texts(payload: dict) -> Iterator[str]:
    """The human-readable text of an event: message and tool-result blocks, and tool inputs."""
    for block in payload.get("content") or []:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            yield block["text"]
    tool_input = payload.get("input")
    if isinstance(tool_input, dict):
        for value in tool_input.values():
            if isinstance(value, str):
                yield value


def _sentences(text: str) -> Iterator[str]:
    for line in text.split("\n"):
        for part in line.replace("; ", ".\n").split(". "):
            if part.strip():
                yield part.strip()
