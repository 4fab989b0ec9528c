"""Facts, findings, and composing findings into changes.

Every analyzer reports `Finding`s: line edits against one base memory (or lines
for a new memory). The engine composes them so that each existing memory gets
AT MOST ONE change computed against its base content: approval applies changes
one by one and checks each memory's sha against the change's base sha, so two
changes to one memory would always conflict.

Composition rules:
- Lines no finding names are copied byte for byte (nothing else is lost).
- When findings touch the same line, precedence decides, highest first:
  dedup (the line goes: nothing else about it matters) > stale (the line is
  rewritten: a verification of its old wording would be void) > verify (a note
  on the line) > pattern (only appends lines, never conflicts).
- The change's category is the highest-precedence kind that survived; its
  rationale is the finding's own when there is one kind, otherwise one line
  naming every kind with each finding's short summary.
- A memory left with no facts and nothing appended is deleted.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from dreams.engines.base import BaseMemory, Change

PRECEDENCE = ("dedup", "stale", "verify", "pattern")
EXCERPT = 90
MAX_RATIONALE = 500


@dataclass(frozen=True)
class Fact:
    memory: BaseMemory
    line_no: int
    text: str  # the line, stripped


def split_facts(memory: BaseMemory) -> list[Fact]:
    """One fact per non-empty, non-heading line outside code fences."""
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


@dataclass
class Finding:
    kind: str  # one of PRECEDENCE
    rationale: str  # one line, for a change made of this finding alone
    summary: str  # a short clause, for a change that combines kinds
    evidence: list[dict] = field(default_factory=list)
    memory: BaseMemory | None = None  # the memory it edits; None for a new memory
    path: str | None = None  # the new memory's path (memory is None)
    title: str | None = None  # the new memory's heading
    lines: dict[int, str | None] = field(default_factory=dict)  # base line number -> new line (None: remove)
    append: list[str] = field(default_factory=list)


def compose(findings: list[Finding]) -> list[Change]:
    """One change per touched memory (by path), then one create per new path."""
    by_memory: dict[str, list[Finding]] = defaultdict(list)
    memories: dict[str, BaseMemory] = {}
    creates: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.memory is not None:
            by_memory[finding.memory.memory_id].append(finding)
            memories[finding.memory.memory_id] = finding.memory
        else:
            creates[finding.path].append(finding)
    changes = []
    for memory_id in sorted(by_memory, key=lambda m: (memories[m].path, m)):
        change = _compose_existing(memories[memory_id], by_memory[memory_id])
        if change is not None:
            changes.append(change)
    for path in sorted(creates):
        group = creates[path]
        title = next((f.title for f in group if f.title), None)
        body = [line for f in group for line in f.append]
        content = (f"# {title}\n" if title else "") + "".join(f"{line}\n" for line in body)
        changes.append(Change(operation="create", category=group[0].kind, rationale=_rationale(group),
                              evidence=_evidence(group), path=path, content=content))
    return changes


def _compose_existing(memory: BaseMemory, findings: list[Finding]) -> Change | None:
    findings = sorted(findings, key=lambda f: PRECEDENCE.index(f.kind))  # stable: analyzer order within a kind
    claimed: dict[int, str | None] = {}
    kept: list[Finding] = []
    for finding in findings:
        lines = {n: text for n, text in finding.lines.items() if n not in claimed}
        if not lines and not finding.append:
            continue  # every line it wanted was taken by a higher-precedence finding
        if len(lines) < len(finding.lines) and finding.kind != "dedup":
            continue  # a partial stale/verify edit would misdescribe itself; the stronger finding stands
        claimed.update(lines)
        kept.append(finding)
    if not kept:
        return None
    base_lines = memory.content.split("\n")
    out = [claimed[n] if n in claimed else line for n, line in enumerate(base_lines)]
    out = [line for line in out if line is not None]
    appended = [line for f in kept for line in f.append]
    if appended:
        # Append before the trailing newline, so a file that ended with one still does.
        tail = [""] if out and out[-1] == "" else []
        body = out[:-1] if tail else out
        out = body + appended + tail
    content = "\n".join(out)
    rationale, evidence, category = _rationale(kept), _evidence(kept), kept[0].kind
    remaining = split_facts(BaseMemory(memory_id=memory.memory_id, path=memory.path, content=content,
                                       sha256="", version_id=""))
    # The lines findings rewrote or removed are named by them (the fact_removed guard's test).
    retires = [base_lines[n].strip() for n in sorted(claimed)]
    if not remaining:
        return Change(operation="delete", category=category, rationale=rationale, evidence=evidence,
                      memory_id=memory.memory_id, retires=retires)
    if content == memory.content:
        return None
    return Change(operation="modify", category=category, rationale=rationale, evidence=evidence,
                  memory_id=memory.memory_id, path=memory.path, content=content, retires=retires)


def _rationale(findings: list[Finding]) -> str:
    if len(findings) == 1:
        text = findings[0].rationale
    else:
        kinds = []
        for f in findings:
            if f.kind not in kinds:
                kinds.append(f.kind)
        text = f"{' + '.join(kinds)}: " + "; ".join(f.summary for f in findings)
    text = " ".join(text.split())
    return text if len(text) <= MAX_RATIONALE else text[: MAX_RATIONALE - 1] + "…"


def _evidence(findings: list[Finding]) -> list[dict]:
    evidence = []
    for f in findings:
        for item in f.evidence:
            evidence.append({**item, "finding": f.kind})
    return evidence
