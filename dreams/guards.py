"""Guards on what an engine proposes: warnings a reviewer sees before approving a change.

- no_evidence: the change cites no event of the dream's own sessions.
- untrusted_source: the new text repeats text from a tool result or a user message in a
  transcript, where anyone can plant an instruction; it must never become memory unnoticed.
- fact_removed: a line of the base is gone, is kept nowhere else in the store, and no finding
  names it as retired (the failure where automatic consolidation shrinks 171 files to 7).

A flagged change stays in the proposal for a person to judge; it is never applied without one.
Pure functions over texts; the runner feeds them.
"""

import re
from dataclasses import dataclass, field

from dreams.engines import transcripts

WARNING_TYPES = ("untrusted_source", "fact_removed", "no_evidence")
MIN_WORDS = 6  # shorter new lines (a command, a heading) say too little to be a planted instruction
WINDOW = 8  # words: a new line that shares a run this long with an untrusted text repeats it
MIN_FACT_WORDS = 3
MIN_UNQUOTED = 3  # words of a run outside quotable quotes (see windows)
_WORD = re.compile(r"[\w'./:@-]+", re.UNICODE)
UNTRUSTED_EVENT_TYPES = {"user.message", "agent.tool_result", "agent.mcp_tool_result", "user.tool_result",
                         "user.custom_tool_result"}


def has_warning(warnings, wanted: str) -> bool:
    """Whether a change's warnings fit a filter: a warning type, "any" (flagged) or "none" (not flagged)."""
    kinds = {w.get("type") for w in warnings or [] if isinstance(w, dict)}
    if wanted == "any":
        return bool(kinds)
    if wanted == "none":
        return not kinds
    return wanted in kinds


def words(text: str) -> list[str]:
    return [w.strip(".:") for w in _WORD.findall(text.lower()) if w.strip(".:")]


def normal(text: str) -> str:
    return " ".join(words(text))


def is_fact(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "```", "---")) and len(words(stripped)) >= MIN_FACT_WORDS


@dataclass
class Proposed:
    """A change as the guards see it: the base text it replaces and the text it writes."""

    key: str
    base_path: str | None  # None for a create
    base: str | None  # None for a create
    new: str | None  # None for a delete
    has_evidence: bool
    retires: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # filled in by check()


def new_lines(change: Proposed, base_store: set[str]) -> list[str]:
    """Lines the change writes that the base store did not already hold anywhere."""
    if change.new is None:
        return []
    old = {normal(line) for line in (change.base or "").split("\n")}
    return [line for line in change.new.split("\n")
            if len(words(line)) >= MIN_WORDS and normal(line) not in old and normal(line) not in base_store]


_QUOTED = re.compile(r"“[^”]{1,200}”|\"[^\"]{1,200}\"")


def windows(line: str) -> list[str]:
    """The runs of words to look for. A run wholly inside quoted text that may be quoted (an error
    message cited as such: transcripts.quotable) is left out: a lesson may quote what a tool said.
    Runs with words of their own beyond the quotes stay, so quotes cannot hide a copy: a lesson may
    not say what a log told it to, quoted or not."""
    tokens, cited = [], []  # the line's words, and whether each is inside a quotable quote
    end = 0
    for match in _QUOTED.finditer(line):
        outside, inside = words(line[end:match.start()]), words(match.group(0)[1:-1])
        tokens += outside + inside
        cited += [False] * len(outside) + [transcripts.quotable(match.group(0)[1:-1], prose=True)] * len(inside)
        end = match.end()
    rest = words(line[end:])
    tokens, cited = tokens + rest, cited + [False] * len(rest)
    if len(tokens) <= WINDOW:
        spans = [(0, len(tokens))]
    else:
        spans = [(i, i + WINDOW) for i in range(len(tokens) - WINDOW + 1)]
    # A run counts when at least MIN_UNQUOTED of its words are the lesson's own: a run that only
    # touches a quote ("fails (error: “…”)") repeats the quote, not an instruction.
    return [" ".join(tokens[a:b]) for a, b in spans
            if tokens[a:b] and sum(not c for c in cited[a:b]) >= min(MIN_UNQUOTED, b - a)]


class UntrustedIndex:
    """Which of the proposal's new lines repeat an untrusted transcript text. Fed event by event,
    so transcripts stream through once and only the (few) new lines are held."""

    def __init__(self, lines: list[str]):
        self.pending = {line: windows(line) for line in lines}
        self.hits: dict[str, str] = {}  # line -> event id

    def feed(self, event_id: str, text: str) -> None:
        if not self.pending or not text:
            return
        haystack = normal(text)
        for line, spans in list(self.pending.items()):
            if spans and any(span in haystack for span in spans):
                self.hits[line] = event_id
                del self.pending[line]


def removed_facts(change: Proposed, final_store: set[str]) -> list[str]:
    """Facts of the base that the change drops, that stay nowhere in the final store, and that no finding retires."""
    if change.base is None:
        return []
    kept = {normal(line) for line in (change.new or "").split("\n")}
    retired = [normal(r) for r in change.retires]
    gone = []
    for line in change.base.split("\n"):
        if not is_fact(line):
            continue
        text = normal(line)
        if text in kept or text in final_store or _kept_inside(text, final_store, kept):
            continue
        if any(r and (r in text or text in r) for r in retired):
            continue
        gone.append(line.strip())
    return gone


def _kept_inside(text: str, *stores: set[str]) -> bool:
    """A fact survives when a longer line elsewhere contains it whole (a merge that appended a note)."""
    return any(text in other for store in stores for other in store if len(other) > len(text))


def warnings_for(change: Proposed, *, untrusted_hits: dict[str, str], final_store: set[str]) -> list[dict]:
    found = []
    if not change.has_evidence:
        found.append({"type": "no_evidence", "message": "No valid evidence: the change cites no event of the "
                      "dream's sessions."})
    planted = [line for line in change.added if line in untrusted_hits]
    if planted:
        found.append({"type": "untrusted_source", "message": f"Repeats transcript text (event "
                      f"{untrusted_hits[planted[0]]}): {_excerpt(planted[0])}"})
    gone = removed_facts(change, final_store)
    if gone:
        more = f" (and {len(gone) - 1} more)" if len(gone) > 1 else ""
        found.append({"type": "fact_removed",
                      "message": f"Removes a fact kept nowhere else: {_excerpt(gone[0])}{more}"})
    return found


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check(changes: list[Proposed], *, base_store: dict[str, str], transcripts) -> dict[str, list[dict]]:
    """Warnings per change key. `base_store` maps each base path to its content; `transcripts`
    yields (event_id, event_type, text) for the dream's sessions."""
    base_lines = {normal(line) for content in base_store.values() for line in content.split("\n")}
    for change in changes:
        change.added = new_lines(change, base_lines)
    all_new = [line for change in changes for line in change.added]
    index = UntrustedIndex(all_new)
    if all_new:
        for event_id, event_type, text in transcripts:
            if event_type in UNTRUSTED_EVENT_TYPES:
                index.feed(event_id, text)
            if not index.pending:
                break
    # The store after every change: a fact moved elsewhere is not lost.
    final_lines = set()
    replaced = {c.base_path for c in changes if c.base_path}
    for path, content in base_store.items():
        if path not in replaced:
            final_lines |= {normal(line) for line in content.split("\n")}
    for change in changes:
        final_lines |= {normal(line) for line in (change.new or "").split("\n")}
    final_lines.discard("")
    return {c.key: warnings_for(c, untrusted_hits=index.hits, final_store=final_lines) for c in changes}
