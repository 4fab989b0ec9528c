"""Memory path rules and the pure helpers for prefix listing.

Paths are compared in code-point order. A prefix listing is the half-open range
[prefix, prefix_end(prefix)): every path that starts with "/a/" sorts at or after
"/a/" and before "/a0" ('0' is the code point right after '/').
"""

import unicodedata

from memory.errors import InvalidRequest

MAX_PATH_BYTES = 1024
MAX_SEGMENTS = 20
_FORBIDDEN_SEPARATORS = {"\u2028", "\u2029"}


def validate_path(path, *, field: str = "path") -> str:
    if not isinstance(path, str):
        raise InvalidRequest(f"`{field}` must be a string.")
    if not path.startswith("/"):
        raise InvalidRequest(f"`{field}` must start with '/'.")
    _check_characters(path, field)  # first: a lone surrogate cannot be encoded to count bytes
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise InvalidRequest(f"`{field}` must be at most {MAX_PATH_BYTES} bytes in UTF-8.")
    segments = path[1:].split("/")
    if len(segments) > MAX_SEGMENTS:
        raise InvalidRequest(f"`{field}` must have at most {MAX_SEGMENTS} segments.")
    for segment in segments:
        if segment == "":
            raise InvalidRequest(f"`{field}` must not have empty segments (no '//', no trailing '/', not '/' alone).")
        if segment in (".", ".."):
            raise InvalidRequest(f"`{field}` must not contain '.' or '..' segments.")
    return path


def validate_prefix(prefix, *, field: str = "path_prefix") -> str:
    """A listing prefix: '/' or a path of whole segments ending in '/'."""
    if not isinstance(prefix, str):
        raise InvalidRequest(f"`{field}` must be a string.")
    if not prefix.endswith("/"):
        raise InvalidRequest(f"`{field}` must end with '/'.")
    if prefix == "/":
        return prefix
    validate_path(prefix[:-1], field=field)
    return prefix


def _check_characters(path: str, field: str) -> None:
    for ch in path:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs") or ch in _FORBIDDEN_SEPARATORS:
            raise InvalidRequest(
                f"`{field}` must not contain control or format characters (found U+{ord(ch):04X})."
            )
    if not unicodedata.is_normalized("NFC", path):
        raise InvalidRequest(f"`{field}` must be in Unicode NFC form.")


def prefix_end(prefix: str) -> str:
    """The smallest string greater than every path under `prefix` (which ends in '/')."""
    return prefix[:-1] + "0"


def rollup(path: str, prefix: str, depth: int) -> str | None:
    """The memory_prefix `path` rolls up into when listed under `prefix` with `depth`,
    or None when it is shown as a memory (depth 0 never rolls up)."""
    if depth <= 0:
        return None
    rest = path[len(prefix):].split("/")
    if len(rest) <= depth:
        return None
    return prefix + "/".join(rest[:depth]) + "/"
