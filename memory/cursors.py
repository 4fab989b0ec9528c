"""Opaque page cursors: base64url of a small JSON position, bound to the query that made them."""

import base64
import binascii
import json

from memory.errors import InvalidRequest


def encode_cursor(position: dict) -> str:
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token, *, scope: str) -> dict:
    """Decode a cursor and check it was issued for this kind of list (`scope`)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, TypeError):
        raise InvalidRequest("`page` is not a valid page cursor; pass the `next_page` value of a previous list.") from None
    if not isinstance(position, dict) or position.get("s") != scope:
        raise InvalidRequest("`page` is not a valid page cursor for this list.")
    return position


def keyset_page(queryset, *, scope: str, token: str | None, limit: int):
    """Newest-first paging on (created_at, id), for lists of stores, agents, keys and grants.

    Returns (rows, next_token). Rows are read with one extra to tell whether more follow.
    """
    from django.db.models import Q
    from django.utils.dateparse import parse_datetime

    queryset = queryset.order_by("-created_at", "-id")
    if token:
        position = decode_cursor(token, scope=scope)
        created = parse_datetime(str(position.get("t", "")))
        last_id = position.get("i")
        if created is None or not isinstance(last_id, str):
            raise InvalidRequest("`page` is not a valid page cursor for this list.")
        queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor({"s": scope, "t": last.created_at.isoformat(), "i": last.id})


def seq_page(queryset, *, scope: str, token: str | None, limit: int, newest_first: bool):
    """Paging on an insertion-ordered `seq` column (versions, proposed changes).

    Returns (rows, next_token), reading one extra row to tell whether more follow.
    """
    queryset = queryset.order_by("-seq" if newest_first else "seq")
    if token:
        position = decode_cursor(token, scope=scope)
        if not isinstance(position.get("q"), int):
            raise InvalidRequest("`page` is not a valid page cursor for this list.")
        queryset = queryset.filter(**{"seq__lt" if newest_first else "seq__gt": position["q"]})
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor({"s": scope, "q": rows[-1].seq})
