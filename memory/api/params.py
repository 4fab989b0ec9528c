"""Query-string readers that speak the SDK's encoding: bracket keys
(`created_at[gte]`, `statuses[]`), lowercase booleans, RFC 3339 datetimes where
a missing offset means UTC. Each raises a 400 naming the parameter."""

from datetime import datetime, timezone

from django.utils.dateparse import parse_datetime

from memory.errors import InvalidRequest

VIEWS = ("basic", "full")
MAX_FULL_PAGE = 20


def get_str(request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value not in (None, "") else None


def get_limit(request, *, default: int = 20, maximum: int = 100) -> int:
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest("`limit` must be an integer from 1 to 100.") from None
    if not 1 <= value <= maximum:
        raise InvalidRequest(f"`limit` must be from 1 to {maximum}.")
    return value


def get_int(request, name: str, *, default: int, minimum: int = 0) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"`{name}` must be an integer.") from None
    if value < minimum:
        raise InvalidRequest(f"`{name}` must be at least {minimum}.")
    return value


def get_bool(request, name: str, *, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise InvalidRequest(f"`{name}` must be `true` or `false`.")


def get_view(request, *, default: str) -> str:
    view = request.query_params.get("view") or default
    if view not in VIEWS:
        raise InvalidRequest("`view` must be `basic` or `full`.")
    return view


def get_datetime(request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = parse_datetime(raw.strip().replace(" ", "+"))
    except ValueError:
        value = None
    if value is None:
        raise InvalidRequest(f"`{name}` must be an RFC 3339 date-time, such as 2026-01-01T00:00:00Z.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def get_list(request, name: str) -> list[str]:
    """`name[]=a&name[]=b`, repeated `name=a&name=b`, or `name=a,b`."""
    values = request.query_params.getlist(f"{name}[]") + request.query_params.getlist(name)
    return [item.strip() for value in values for item in value.split(",") if item.strip()]
