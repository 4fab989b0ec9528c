"""Listing memories and versions without scanning a store.

Memories are listed in path order from the (store, path) index. A depth listing
walks that index and, on meeting a path deeper than `depth`, emits its roll-up
prefix and seeks past the whole folder (`paths.prefix_end`), so a page costs at
most one index seek per item whatever the store's size.
"""

from dataclasses import dataclass

from memory import paths
from memory.cursors import decode_cursor, encode_cursor, seq_page
from memory.errors import InvalidRequest
from memory.models import Memory, MemoryStore, MemoryVersion


@dataclass(frozen=True)
class MemoryPrefix:
    path: str


def list_memories(
    *, store: MemoryStore, prefix: str = "/", depth: int = 0, limit: int = 20, page: str | None = None,
    with_content: bool = False,
):
    """Return (items, next_page): items are Memory rows and MemoryPrefix roll-ups in path order."""
    paths.validate_prefix(prefix)
    scope = f"memories:{prefix}:{depth}"
    end = paths.prefix_end(prefix)
    if page:
        position = decode_cursor(page, scope=scope)
        after, inclusive = position.get("p"), bool(position.get("in"))
        if not isinstance(after, str) or not (prefix <= after <= end):
            raise InvalidRequest("`page` is not a valid page cursor for this list.")
    else:
        after, inclusive = prefix, True

    memories = Memory.objects.filter(store=store, path__lt=end).order_by("path")
    if with_content:
        memories = memories.select_related("blob")

    items: list = []
    exhausted = False
    jumped = False
    while len(items) < limit:
        # Right after a roll-up the next path is often another folder: probe one row
        # instead of loading a page of rows that the next roll-up would discard.
        wanted = 1 if jumped else limit - len(items)
        bound = {"path__gte": after} if inclusive else {"path__gt": after}
        rows = list(memories.filter(**bound)[:wanted])
        jumped = False
        for memory in rows:
            folder = paths.rollup(memory.path, prefix, depth)
            if folder is None:
                items.append(memory)
                after, inclusive = memory.path, False
            else:
                items.append(MemoryPrefix(folder))
                after, inclusive = paths.prefix_end(folder), True
                jumped = True
                break
        if not jumped and len(rows) < wanted:
            exhausted = True
            break

    next_page = None
    if not exhausted:
        bound = {"path__gte": after} if inclusive else {"path__gt": after}
        if memories.filter(**bound).exists():
            next_page = encode_cursor({"s": scope, "p": after, "in": inclusive})
    return items, next_page


def list_versions(
    *, store: MemoryStore, limit: int = 20, page: str | None = None, with_content: bool = False,
    memory_id=None, operation=None, api_key_id=None, api_key_ids=None, session_id=None, created_gte=None,
    created_lte=None, created_lt=None, scope: str = "versions",
):
    """Newest first. Returns (versions, next_page). `api_key_ids` keeps versions written through any of
    those keys (an empty list keeps none); `scope` names what a page cursor is valid for."""
    versions = MemoryVersion.objects.filter(store=store)
    if memory_id:
        versions = versions.filter(memory_id=memory_id)
    if operation:
        versions = versions.filter(operation=operation)
    if api_key_id:
        versions = versions.filter(api_key_id=api_key_id)
    if api_key_ids is not None:
        versions = versions.filter(api_key_id__in=api_key_ids)
    if session_id:
        versions = versions.filter(session_id=session_id)
    if created_gte:
        versions = versions.filter(created_at__gte=created_gte)
    if created_lte:
        versions = versions.filter(created_at__lte=created_lte)
    if created_lt:
        versions = versions.filter(created_at__lt=created_lt)
    if with_content:
        versions = versions.select_related("blob")
    return seq_page(versions, scope=scope, token=page, limit=limit, newest_first=True)
