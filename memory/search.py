"""Searching a store's memories by path and content, a page at a time.

Memories are walked in path order along the unique (store, path) index with a
keyset cursor, and the database stops after `limit` matches: nothing counts all
matches. Each page also examines at most SCAN_WINDOW memories, so a rare query on
a 100,000-memory store costs a bounded scan per page instead of the whole store;
the page then ends early with a cursor that continues where the scan stopped.

Content is raw UTF-8 bytes (Blob.data), so the database matches a text form of it:
SQLite looks for the ASCII-lowercased query in lower(data) with instr();
PostgreSQL encodes the bytea with encode(data, 'escape') (NUL and non-ASCII bytes
become octal escapes, backslashes double), and the query is escaped the same way,
because convert_from() fails on the NUL characters memories may hold. Either form
can only yield extra candidates (an escaped byte whose digits match a digit query),
never miss an ASCII-case-insensitive match, so every candidate is checked again in
Python on the decoded text, which also finds the snippet.
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Func, IntegerField, Q, TextField, Value

from memory import paths
from memory.blobs import read_blob
from memory.cursors import decode_cursor, encode_cursor
from memory.errors import InvalidRequest
from memory.models import Memory, MemoryStore

MAX_QUERY_CHARS = 200
SCAN_WINDOW = 10_000
SNIPPET_BEFORE = 60
SNIPPET_AFTER = 100


@dataclass(frozen=True)
class Snippet:
    """A short excerpt around a match, as raw text: templates escape it."""

    before: str
    match: str
    after: str


@dataclass(frozen=True)
class SearchHit:
    memory: Memory
    path: Snippet | None  # the path, split around the match, when the path matches
    content: Snippet | None  # an excerpt around the first match in the content


def search_memories(
    *, store: MemoryStore, query, in_content: bool = True, limit: int = 50, page: str | None = None,
    prefix: str = "/",
):
    """Return (hits, next_page) in path order. Matching is case-insensitive for ASCII letters
    on every database. A page may hold fewer than `limit` hits (even none) and still have a
    next page: the scan window ended before `limit` matches were found."""
    query = _validate_query(query)
    paths.validate_prefix(prefix)
    end = paths.prefix_end(prefix)
    scope = f"search:{prefix}:{int(bool(in_content))}:{query}"
    memories = Memory.objects.filter(store=store, path__gte=prefix, path__lt=end).order_by("path")
    if page:
        after = decode_cursor(page, scope=scope).get("p")
        if not isinstance(after, str) or not (prefix <= after < end):
            raise InvalidRequest("`page` is not a valid page cursor for this search.")
        memories = memories.filter(path__gt=after)

    # The path of the SCAN_WINDOW-th memory ahead, and whether any follows it: an index-only
    # walk that bounds this page's scan whatever the store's size.
    edge = list(memories.values_list("path", flat=True)[SCAN_WINDOW - 1:SCAN_WINDOW + 1])
    boundary = edge[0] if len(edge) == 2 else None
    window = memories.filter(path__lte=boundary) if boundary is not None else memories

    match = Q(path__icontains=query)
    if in_content:
        annotations, in_text = _content_match(query)
        window = window.annotate(**annotations)
        match |= in_text
    candidates = list(window.filter(match).select_related("blob")[: limit + 1])

    next_path = None
    if len(candidates) > limit:
        candidates = candidates[:limit]
        next_path = candidates[-1].path
    elif boundary is not None:
        next_path = boundary
    hits = [hit for hit in (_hit(memory, query, in_content) for memory in candidates) if hit is not None]
    next_page = encode_cursor({"s": scope, "p": next_path}) if next_path is not None else None
    return hits, next_page


def _validate_query(query) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InvalidRequest("Enter something to search for.")
    query = query.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidRequest(f"The search text is {len(query)} characters; the limit is {MAX_QUERY_CHARS}.")
    if "\x00" in query:
        raise InvalidRequest("The search text cannot contain NUL characters.")
    return query


def _content_match(query: str) -> tuple[dict, Q]:
    """(annotations, condition) matching `query` in Blob.data, case-insensitively for ASCII."""
    if connection.vendor == "postgresql":
        needle = []
        for byte in query.encode("utf-8"):  # the query in encode(data, 'escape')'s form
            if byte == 0x5C:
                needle.append("\\\\")
            elif byte >= 0x80:
                needle.append(f"\\{byte:03o}")
            else:
                needle.append(chr(byte))
        text = Func(F("blob__data"), Value("escape"), function="encode", output_field=TextField())
        return {"content_text": text}, Q(content_text__icontains="".join(needle))
    # SQLite: lower() and instr() work on byte lengths, so a NUL does not end the content
    # (LIKE and replace() would stop at it). lower() folds ASCII only: fold the needle alike.
    needle = "".join(c.lower() if c.isascii() else c for c in query)
    position = Func(Func(F("blob__data"), function="lower"), Value(needle), function="instr",
                    output_field=IntegerField())
    return {"content_at": position}, Q(content_at__gt=0)


def _hit(memory: Memory, query: str, in_content: bool) -> SearchHit | None:
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    path_hit = _snippet(memory.path, pattern, before=len(memory.path), after=len(memory.path))
    content_hit = None
    if in_content:
        text = read_blob(memory.blob).replace("\x00", "")
        content_hit = _snippet(text, pattern, before=SNIPPET_BEFORE, after=SNIPPET_AFTER)
    if path_hit is None and content_hit is None:
        return None  # a false candidate of the database's coarser match
    return SearchHit(memory=memory, path=path_hit, content=content_hit)


def _snippet(text: str, pattern: re.Pattern, *, before: int, after: int) -> Snippet | None:
    found = pattern.search(text)
    if found is None:
        return None
    start, stop = found.span()
    head = text[max(0, start - before):start]
    tail = text[stop:stop + after]
    if start - before > 0:
        head = "…" + head
    if stop + after < len(text):
        tail += "…"
    return Snippet(before=_flat(head), match=_flat(found.group()), after=_flat(tail))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)
