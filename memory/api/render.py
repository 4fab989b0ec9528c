"""Objects on the wire. Every nullable field is always present (null, not omitted)."""

from datetime import datetime, timezone

from memory.access import Actor
from memory.blobs import read_blob
from memory.listing import MemoryPrefix


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def page(items, next_page) -> dict:
    return {"data": items, "next_page": next_page}


def memory_store(store) -> dict:
    return {
        "type": "memory_store",
        "id": store.id,
        "name": store.name,
        "description": store.description,
        "metadata": store.metadata,
        "default_agent_access": store.default_agent_access,
        "created_at": timestamp(store.created_at),
        "updated_at": timestamp(store.updated_at),
        "archived_at": timestamp(store.archived_at),
    }


def memory(item, *, full: bool) -> dict:
    return {
        "type": "memory",
        "id": item.id,
        "memory_store_id": item.store_id,
        "path": item.path,
        "content": read_blob(item.blob) if full else None,
        "content_sha256": item.blob_id,
        "content_size_bytes": item.size_bytes,
        "memory_version_id": item.head_version_id,
        "created_at": timestamp(item.created_at),
        "updated_at": timestamp(item.updated_at),
    }


def memory_list_item(item, *, full: bool) -> dict:
    if isinstance(item, MemoryPrefix):
        return {"type": "memory_prefix", "path": item.path}
    return memory(item, full=full)


def actor(version) -> dict | None:
    return Actor(api_key_id=version.api_key_id, session_id=version.session_id, user_id=version.user_id).as_json()


def memory_version(version, *, full: bool) -> dict:
    has_content = version.blob_id is not None
    return {
        "type": "memory_version",
        "id": version.id,
        "memory_id": version.memory_id,
        "memory_store_id": version.store_id,
        "operation": version.operation,
        "path": version.path,
        "content": read_blob(version.blob) if full and has_content else None,
        "content_sha256": version.blob_id,
        "content_size_bytes": version.size_bytes,
        "created_at": timestamp(version.created_at),
        "created_by": actor(version),
        "redacted_at": timestamp(version.redacted_at),
        "redacted_by": version.redacted_by,
    }


def agent(item) -> dict:
    return {
        "type": "agent",
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "workspace_id": item.workspace_id,
        "created_at": timestamp(item.created_at),
    }


def api_key(key, *, secret: str | None = None) -> dict:
    body = {
        "type": "api_key",
        "id": key.id,
        "name": key.name,
        "agent_id": key.agent_id,
        "workspace_id": key.workspace_id,
        "hint": key.hint,
        "created_at": timestamp(key.created_at),
        "last_used_at": timestamp(key.last_used_at),
        "revoked_at": timestamp(key.revoked_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def grant(item) -> dict:
    return {
        "type": "memory_store_grant",
        "memory_store_id": item.store_id,
        "agent_id": item.agent_id,
        "agent_name": item.agent.name,
        "access": item.access,
        "created_at": timestamp(item.created_at),
        "updated_at": timestamp(item.updated_at),
    }
