"""Which model key a workspace's dreams use: its own (set by an admin, encrypted at rest) or the server's.

A workspace key always wins over the environment (`ANTHROPIC_API_KEY` or `ANTHROPIC_AUTH_TOKEN`,
`ANTHROPIC_BASE_URL`), and the two never mix the other way: a workspace's base URL is only
ever used with the workspace's own key, so no admin can point the server's key at a host of
their choosing. For the same reason a base URL can only be saved together with a key.

The plaintext key leaves this module in one place, `client_options`, for the SDK client;
everything shown to people is `key_hint`. `sensitive_variables` keeps it out of Django's
error reports too.
"""

import logging
import os
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from dreams import crypto
from dreams.models import ModelCredential
from memory.access import Actor
from memory.errors import InvalidRequest, ReverieError
from memory.models import Workspace

log = logging.getLogger(__name__)

MIN_KEY_LENGTH, MAX_KEY_LENGTH = 8, 512
MAX_BASE_URL_LENGTH = 2048
# Shorter keys show only their last two characters: first 7 + last 4 would be most of the key.
FULL_HINT_MIN_LENGTH = 32
ENVIRONMENT_KEYS = (("ANTHROPIC_API_KEY", "api_key"), ("ANTHROPIC_AUTH_TOKEN", "auth_token"))
UNREADABLE = "The workspace's model key cannot be decrypted; set it again."


class ModelKeyUnreadable(ReverieError):
    """The stored key was encrypted under a key this server no longer has (see dreams/crypto.py)."""

    error_code = "model_key_unreadable"


@dataclass(frozen=True)
class ModelAccess:
    """How a workspace's dreams reach a model. `source`: "workspace", "environment" or None (no key);
    `hint`: the masked key, or the name of the environment variable; `base_url` None is Anthropic's,
    and `base_url_source` says whose it is ("workspace" or "environment")."""

    source: str | None
    hint: str | None
    base_url: str | None
    available: bool
    base_url_source: str | None = None
    problem: str | None = None
    updated_at: datetime | None = None


def mask_key(api_key: str) -> str:
    if len(api_key) >= FULL_HINT_MIN_LENGTH:
        return f"{api_key[:7]}…{api_key[-4:]}"
    return f"…{api_key[-2:]}"


@sensitive_variables("api_key")
def validate_api_key(api_key) -> str:
    """The key without the whitespace a paste brings along. Messages never quote the key."""
    if not isinstance(api_key, str):
        raise InvalidRequest("The model key must be a string.")
    api_key = api_key.strip()
    if not api_key:
        raise InvalidRequest("Enter the model key.")
    if not MIN_KEY_LENGTH <= len(api_key) <= MAX_KEY_LENGTH:
        raise InvalidRequest(f"The model key must be {MIN_KEY_LENGTH} to {MAX_KEY_LENGTH} characters.")
    if any(not "!" <= ch <= "~" for ch in api_key):
        raise InvalidRequest("The model key must be printable ASCII characters without spaces.")
    return api_key


def validate_base_url(base_url) -> str | None:
    """An http(s) URL of the provider's API root, or None (blank) for the default."""
    if base_url is None:
        return None
    if not isinstance(base_url, str):
        raise InvalidRequest("The base URL must be a string.")
    base_url = base_url.strip()
    if not base_url:
        return None
    if len(base_url) > MAX_BASE_URL_LENGTH:
        raise InvalidRequest(f"The base URL must be at most {MAX_BASE_URL_LENGTH} characters.")
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in base_url):
        raise InvalidRequest("The base URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        raise InvalidRequest("The base URL is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest("The base URL must be an http:// or https:// URL, like https://gateway.example/anthropic.")
    if parts.username is not None or parts.password is not None:
        # It would be stored and shown in clear: credentials belong in the (encrypted) key.
        raise InvalidRequest("The base URL must not contain a user name or password.")
    if parts.query or parts.fragment:
        raise InvalidRequest("The base URL must not have a query (?…) or fragment (#…).")
    return base_url


@sensitive_variables("api_key")
def set_model_key(*, workspace: Workspace, api_key: str, base_url: str | None, actor: Actor) -> ModelCredential:
    """Save (or replace) the workspace's key and base URL, encrypted."""
    api_key = validate_api_key(api_key)
    base_url = validate_base_url(base_url)
    with transaction.atomic():
        # update_or_create locks the row it updates, so two saves at once end with one of them whole.
        credential, created = ModelCredential.objects.update_or_create(workspace=workspace, defaults={
            "api_key_ciphertext": crypto.encrypt(api_key), "key_hint": mask_key(api_key), "base_url": base_url,
            "updated_by": actor.as_json(),
        })
    log.info("workspace %s: model key %s %s by %s", workspace.id, credential.key_hint,
             "set" if created else "replaced", actor.as_json())
    return credential


def clear_model_key(*, workspace: Workspace, actor: Actor) -> bool:
    """Remove the workspace's key; dreams go back to the server's. False if there was none."""
    with transaction.atomic():
        deleted, _ = ModelCredential.objects.filter(workspace=workspace).delete()
    if deleted:
        log.info("workspace %s: model key removed by %s", workspace.id, actor.as_json())
    return bool(deleted)


def _environment_base_url() -> str | None:
    return os.environ.get("ANTHROPIC_BASE_URL") or None


def _base_url(credential: ModelCredential | None) -> tuple[str | None, str | None]:
    """(base URL, whose): the workspace's own, else the server's, else (None, None) for Anthropic's."""
    if credential is not None and credential.base_url:
        return credential.base_url, "workspace"
    if environment := _environment_base_url():
        return environment, "environment"
    return None, None


def _environment_credential() -> tuple[str, str, str] | None:
    """(variable, SDK option, value) of the server's key; the API key wins, as in the SDK."""
    for variable, option in ENVIRONMENT_KEYS:
        if value := os.environ.get(variable):
            return variable, option, value
    return None


def _credential(workspace: Workspace) -> ModelCredential | None:
    # A query, not `workspace.model_credential`: that reverse accessor caches a row a save may have replaced.
    return ModelCredential.objects.filter(workspace=workspace).first()


def describe_model_access(workspace: Workspace) -> ModelAccess:
    """Where this workspace's dreams get a model key from, for people: no secret in it."""
    credential = _credential(workspace)
    base_url, base_url_source = _base_url(credential)
    if credential is not None:
        try:
            crypto.decrypt(credential.api_key_ciphertext)
        except crypto.DecryptionFailed:
            problem = UNREADABLE
        else:
            problem = None
        return ModelAccess(source="workspace", hint=credential.key_hint, base_url=base_url,
                           base_url_source=base_url_source, available=problem is None, problem=problem,
                           updated_at=credential.updated_at)
    environment = _environment_credential()
    if environment is not None:
        return ModelAccess(source="environment", hint=environment[0], base_url=base_url,
                           base_url_source=base_url_source, available=True)
    return ModelAccess(source=None, hint=None, base_url=None, available=False)


@sensitive_variables("credential", "environment", "options")
def client_options(workspace: Workspace) -> dict | None:
    """Keyword arguments for `anthropic.Anthropic(...)`, or None when no key is configured.

    Exactly one credential (`api_key` or `auth_token`; the SDK refuses both), and `base_url`
    only when one is set. Raises ModelKeyUnreadable rather than falling back to the server's
    key: a workspace that chose its own account must not be billed to another silently.
    """
    credential = _credential(workspace)
    if credential is not None:
        try:
            options = {"api_key": crypto.decrypt(credential.api_key_ciphertext)}
        except crypto.DecryptionFailed:
            raise ModelKeyUnreadable(UNREADABLE) from None
    else:
        environment = _environment_credential()
        if environment is None:
            return None
        options = {environment[1]: environment[2]}
    base_url, _ = _base_url(credential)
    if base_url:
        options["base_url"] = base_url
    return options


def reencrypt_model_keys() -> tuple[int, int]:
    """Re-encrypt every stored key under the current encryption key: (re-encrypted, unreadable)."""
    done = unreadable = 0
    for pk in ModelCredential.objects.values_list("pk", flat=True):
        with transaction.atomic():
            # Locked so a key saved meanwhile is not overwritten by the old one re-encrypted.
            credential = ModelCredential.objects.select_for_update().filter(pk=pk).first()
            if credential is None:
                continue
            try:
                token = crypto.rotate(credential.api_key_ciphertext)
            except crypto.DecryptionFailed:
                unreadable += 1
                continue
            # update(), not save(): the key itself did not change, so neither do updated_at/_by.
            ModelCredential.objects.filter(pk=pk).update(api_key_ciphertext=token)
            done += 1
    return done, unreadable
