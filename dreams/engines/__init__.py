"""Engines by model id. A dream's `model` picks one, and the dream records which engine ran.
REVERIE_EXTRA_ENGINES adds engines by "module:Class"."""

from fnmatch import fnmatchcase
from importlib import import_module

from django.conf import settings

from dreams.engines.claude import NAME as CLAUDE
from dreams.engines.claude import ClaudeEngine
from dreams.engines.offline import NAME as OFFLINE
from dreams.engines.offline import OfflineEngine
from memory.errors import InvalidRequest

DEFAULT_ENGINE = OFFLINE
NO_KEY = ("Model {model!r} runs on Claude, and no model key is configured. Set ANTHROPIC_API_KEY (and "
          "ANTHROPIC_BASE_URL for a gateway or a local model server) for Reverie's web and worker processes, or "
          "a workspace key in the console (Model); or use model 'reverie-offline', which needs no key.")


def available() -> dict:
    """Engines by name (a dream's `engine`); `claude` runs the model ids of is_claude_model."""
    engines = {OFFLINE: OfflineEngine, CLAUDE: ClaudeEngine}
    for entry in settings.REVERIE_EXTRA_ENGINES:
        module, _, name = entry.partition(":")
        cls = getattr(import_module(module), name)
        engines[cls.name] = cls
    return engines


def is_claude_model(model_id: str) -> bool:
    """Claude ids, and whatever else REVERIE_CLAUDE_MODEL_PATTERNS names (a gateway's or a local
    model server's ids), run on the Claude engine."""
    return any(fnmatchcase(model_id, pattern) for pattern in settings.REVERIE_CLAUDE_MODEL_PATTERNS)


def claude_available(workspace) -> bool:
    return _model_access(workspace).available


def _model_access(workspace):
    from dreams import credentials

    return credentials.describe_model_access(workspace)


def engine_for(model_id: str, *, workspace) -> str:
    """The engine that runs `model_id` in `workspace`; InvalidRequest when none can here.

    A Claude model without a key is refused, never quietly run on the offline rules, unless the
    operator opted into that with REVERIE_CLAUDE_WITHOUT_KEY=offline."""
    engines = available()
    if model_id in engines and model_id != CLAUDE:
        return model_id
    if is_claude_model(model_id):
        access = _model_access(workspace)
        if access.available:
            return CLAUDE
        if settings.REVERIE_CLAUDE_WITHOUT_KEY == "offline":
            return OFFLINE
        if access.problem:  # a workspace key this server cannot decrypt: say so, not "no key"
            raise InvalidRequest(f"{access.problem} Or use model 'reverie-offline', which needs no key.")
        raise InvalidRequest(NO_KEY.format(model=model_id))
    raise InvalidRequest(
        f"Model {model_id!r} cannot run on this server; use one of: "
        f"{', '.join(sorted(n for n in engines if n != CLAUDE))}, or a Claude model id."
    )


def runnable_models(workspace) -> list[str]:
    """What the console offers: the offline engines, and the configured Claude models when a key is set."""
    names = sorted(n for n in available() if n != CLAUDE)
    if claude_available(workspace) or settings.REVERIE_CLAUDE_WITHOUT_KEY == "offline":
        names += list(settings.REVERIE_CLAUDE_MODELS)
    return names


def load_engine(name: str):
    return available()[name]()
