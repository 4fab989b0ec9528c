"""The wire shapes of `POST /v1/dreams`, parsed into the typed arguments of
`dreams.lifecycle.start_dream`. Shape errors are 400s that name the field."""

from dreams import lifecycle
from dreams.lifecycle import SessionFilter
from dreams.models import OutputBehavior
from memory.errors import InvalidRequest

FILTER_FIELDS = {"agent_ids", "created_after", "created_before", "min_outcome", "min_score", "max_sessions"}


def start_arguments(data) -> dict:
    """The keyword arguments of start_dream for a request body."""
    for field in ("inputs", "model"):
        if field not in data:
            raise InvalidRequest(f"`{field}` is required.")
    session_filter = parse_session_filter(data["session_filter"]) if data.get("session_filter") is not None else None
    store_id, session_ids = parse_inputs(data["inputs"], has_filter=session_filter is not None)
    model_id, speed = parse_model(data["model"])
    instructions = data.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise InvalidRequest(f"`instructions` must be a string of 1 to {lifecycle.MAX_INSTRUCTIONS} characters.")
    budget = data.get("budget_tokens")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int)):
        raise InvalidRequest(f"`budget_tokens` must be an integer from 1 to {lifecycle.MAX_BUDGET_TOKENS}.")
    return {
        "store_id": store_id, "session_ids": session_ids, "session_filter": session_filter,
        "model_id": model_id, "model_speed": speed, "instructions": instructions,
        "output_behavior": parse_output_behavior(data.get("output_behavior"), store_id), "budget_tokens": budget,
    }


def parse_inputs(inputs, *, has_filter: bool) -> tuple[str, list[str] | None]:
    if not isinstance(inputs, list):
        raise InvalidRequest("`inputs` must be a list with one `memory_store` entry and one `sessions` entry.")
    stores = [i for i in inputs if isinstance(i, dict) and i.get("type") == "memory_store"]
    sessions = [i for i in inputs if isinstance(i, dict) and i.get("type") == "sessions"]
    if len(stores) + len(sessions) != len(inputs):
        raise InvalidRequest("Each of `inputs` must be an object of type `memory_store` or `sessions`.")
    if len(stores) != 1:
        raise InvalidRequest("`inputs` must have exactly one `memory_store` entry.")
    store_id = stores[0].get("memory_store_id")
    if not isinstance(store_id, str) or not store_id:
        raise InvalidRequest("`inputs[].memory_store_id` must be a memory store id.")
    if has_filter:
        if sessions:
            raise InvalidRequest("Give either a `sessions` input or a `session_filter`, not both.")
        return store_id, None
    if len(sessions) != 1:
        raise InvalidRequest("`inputs` must have exactly one `sessions` entry (or use `session_filter`).")
    ids = sessions[0].get("session_ids")
    if not isinstance(ids, list):
        raise InvalidRequest(f"`session_ids` must be a list of 1 to {lifecycle.MAX_SESSION_IDS} session ids.")
    return store_id, ids


def parse_model(model) -> tuple[str, str]:
    """(model id, speed) from `"claude-…"` or `{"id": …, "speed": …}`."""
    if isinstance(model, str):
        model_id, speed = model, "standard"
    elif isinstance(model, dict):
        model_id, speed = model.get("id"), model.get("speed") or "standard"
    else:
        raise InvalidRequest("`model` must be a model id or an object {id, speed}.")
    if not isinstance(model_id, str) or not 1 <= len(model_id) <= 256:
        raise InvalidRequest("`model.id` must be a string of 1 to 256 characters.")
    if speed != "standard":
        raise InvalidRequest("`model.speed` must be `standard`.")
    return model_id, speed


def parse_output_behavior(value, store_id: str) -> str:
    if value is None:
        return OutputBehavior.CREATE_NEW
    if not isinstance(value, dict) or value.get("type") not in OutputBehavior.values:
        raise InvalidRequest("`output_behavior.type` must be `create_new` or `update_existing`.")
    if value["type"] == OutputBehavior.UPDATE_EXISTING and value.get("memory_store_id") != store_id:
        raise InvalidRequest("`output_behavior.memory_store_id` must be the input memory store for update_existing.")
    return value["type"]


def parse_session_filter(value) -> SessionFilter:
    """{agent_ids?, created_after?, created_before?, min_outcome?, min_score?, max_sessions?}"""
    if not isinstance(value, dict):
        raise InvalidRequest("`session_filter` must be an object.")
    unknown = set(value) - FILTER_FIELDS
    if unknown:
        raise InvalidRequest(f"`session_filter` has unknown fields: {', '.join(sorted(unknown))}.")
    agents = value.get("agent_ids")
    if agents is not None and not isinstance(agents, list):
        raise InvalidRequest("`session_filter.agent_ids` must be a list of agent ids.")
    for field in ("created_after", "created_before"):
        if value.get(field) is not None and not isinstance(value[field], str):
            raise InvalidRequest(f"`session_filter.{field}` must be an RFC 3339 date-time.")
    score = value.get("min_score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise InvalidRequest("`session_filter.min_score` must be a number from 0 to 1.")
    return SessionFilter(
        agent_ids=tuple(agents or ()), created_after=value.get("created_after"),
        created_before=value.get("created_before"), min_outcome=value.get("min_outcome"),
        min_score=float(score) if score is not None else None,
        max_sessions=value.get("max_sessions", lifecycle.MAX_SESSION_IDS),
    )
