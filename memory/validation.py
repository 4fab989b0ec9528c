"""Field rules for memory stores and memory content (pure; no database)."""

import unicodedata

from django.conf import settings

from memory.errors import InvalidMetadata, InvalidRequest

MAX_NAME = 255
MAX_DESCRIPTION = 1024
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512


def validate_name(name, *, field: str = "name") -> str:
    if not isinstance(name, str):
        raise InvalidRequest(f"`{field}` must be a string.")
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidRequest(f"`{field}` must be 1 to {MAX_NAME} characters.")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        raise InvalidRequest(f"`{field}` must not contain control characters.")
    return name


def is_storable(text: str) -> bool:
    """Text every database can hold: no NUL (PostgreSQL refuses it) and no lone surrogates."""
    return "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)


def validate_description(description) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidRequest("`description` must be a string.")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidRequest(f"`description` must be at most {MAX_DESCRIPTION} characters.")
    if not is_storable(description):
        raise InvalidRequest("`description` must not contain NUL characters or lone surrogates.")
    return description


def merge_metadata(current: dict, patch) -> dict:
    """Apply a metadata patch (string sets, null deletes) and validate the result."""
    if not isinstance(patch, dict):
        raise InvalidMetadata("`metadata` must be an object of string keys to string values.")
    merged = dict(current)
    problems = []
    for key, value in patch.items():
        if not is_storable(key) or (isinstance(value, str) and not is_storable(value)):
            problems.append(f"{key[:80]!r} must not contain NUL characters or lone surrogates")
            continue
        if not 1 <= len(key) <= MAX_METADATA_KEY:
            problems.append(f"key {key[:80]!r} must be 1 to {MAX_METADATA_KEY} characters")
            continue
        if value is None:
            merged.pop(key, None)
        elif not isinstance(value, str):
            problems.append(f"value of {key!r} must be a string")
        elif len(value) > MAX_METADATA_VALUE:
            problems.append(f"value of {key!r} must be at most {MAX_METADATA_VALUE} characters")
        else:
            merged[key] = value
    if len(merged) > MAX_METADATA_PAIRS:
        problems.append(f"at most {MAX_METADATA_PAIRS} pairs are allowed (got {len(merged)})")
    if problems:
        raise InvalidMetadata("Invalid metadata: " + "; ".join(problems) + ".")
    return merged


def validate_content(content, *, field: str = "content") -> str:
    if content is None:
        raise InvalidRequest(f"`{field}` is required and must be a string.")
    if not isinstance(content, str):
        raise InvalidRequest(f"`{field}` must be a string.")
    try:
        size = len(content.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidRequest(f"`{field}` must be valid UTF-8 text (lone surrogates are not allowed).") from None
    limit = settings.REVERIE_MAX_MEMORY_BYTES
    if size > limit:
        raise InvalidRequest(f"`{field}` is {size} bytes; the limit is {limit} bytes of UTF-8.")
    return content
