"""Line and word diffs between two texts, as plain data for templates to render.

Pure logic, no database. Lines are matched with difflib; a changed line that pairs
with a line on the other side is diffed again word by word, so the reader sees which
words moved. Chunks hold raw text: templates escape them (agent-written text is
untrusted), which is why nothing here builds HTML.
"""

import difflib
import re
from dataclasses import dataclass, field

# A word, a run of whitespace, or one other character: joined back they give the line.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Chunk:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class Row:
    """One row of a side-by-side diff. kind: equal, replace, delete, insert or skip."""

    kind: str
    old_no: int | None = None
    new_no: int | None = None
    old: tuple[Chunk, ...] = ()
    new: tuple[Chunk, ...] = ()
    skipped: int = 0  # for kind == "skip": how many unchanged lines are folded away


@dataclass
class Diff:
    rows: list[Row] = field(default_factory=list)
    added: int = 0
    removed: int = 0

    @property
    def identical(self) -> bool:
        return self.added == 0 and self.removed == 0


def _words(old: str, new: str) -> tuple[tuple[Chunk, ...], tuple[Chunk, ...]]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    left: list[Chunk] = []
    right: list[Chunk] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(Chunk("".join(a[i1:i2])))
            right.append(Chunk("".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(Chunk("".join(a[i1:i2]), changed=True))
        if j2 > j1:
            right.append(Chunk("".join(b[j1:j2]), changed=True))
    return tuple(left), tuple(right)


def diff_texts(old: str, new: str, *, context: int | None = 3) -> Diff:
    """Rows from `old` to `new`. Unchanged runs longer than 2*context fold into a skip row
    (context=None keeps every line)."""
    a, b = old.splitlines(), new.splitlines()
    diff = Diff()
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend(Row("equal", i + 1, j + 1, (Chunk(a[i]),), (Chunk(b[j]),))
                        for i, j in zip(range(i1, i2), range(j1, j2)))
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            left, right = _words(a[i1 + k], b[j1 + k])
            rows.append(Row("replace", i1 + k + 1, j1 + k + 1, left, right))
        for i in range(i1 + paired, i2):
            rows.append(Row("delete", old_no=i + 1, old=(Chunk(a[i], changed=True),)))
        for j in range(j1 + paired, j2):
            rows.append(Row("insert", new_no=j + 1, new=(Chunk(b[j], changed=True),)))
        diff.removed += i2 - i1
        diff.added += j2 - j1
    diff.rows = rows if context is None else _fold(rows, context)
    return diff


def _fold(rows: list[Row], context: int) -> list[Row]:
    """Keep `context` unchanged rows around each change; replace longer runs by a skip row."""
    keep = [row.kind != "equal" for row in rows]
    for index, row in enumerate(rows):
        if row.kind != "equal":
            for near in range(max(0, index - context), min(len(rows), index + context + 1)):
                keep[near] = True
    folded: list[Row] = []
    run = 0
    for row, kept in zip(rows, keep):
        if kept:
            if run:
                folded.append(Row("skip", skipped=run))
                run = 0
            folded.append(row)
        else:
            run += 1
    if run:
        folded.append(Row("skip", skipped=run))
    return folded
