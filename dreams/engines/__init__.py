"""Engines by model id. A dream's `model` picks one, and the dream records which engine ran.
REVERIE_EXTRA_ENGINES adds engines by "module:Class"."""

from importlib import import_module

from django.conf import settings

from dreams.engines.offline import NAME as OFFLINE
from dreams.engines.offline import OfflineEngine
from memory.errors import InvalidRequest

DEFAULT_ENGINE = OFFLINE


def available() -> dict:
    engines = {OFFLINE: OfflineEngine}
    for entry in settings.REVERIE_EXTRA_ENGINES:
        module, _, name = entry.partition(":")
        cls = getattr(import_module(module), name)
        engines[cls.name] = cls
    return engines


def engine_for(model_id: str, *, workspace=None) -> str:
    """The engine that runs `model_id`; InvalidRequest when this server cannot run it."""
    if model_id in available():
        return model_id
    if model_id.startswith("claude-"):
        return DEFAULT_ENGINE
    raise InvalidRequest(
        f"Model {model_id!r} cannot run on this server; use one of: {', '.join(sorted(available()))} "
        "(or a Claude model id)."
    )


def load_engine(name: str):
    return available()[name]()
