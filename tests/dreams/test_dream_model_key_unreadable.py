"""A workspace key the server can no longer decrypt: dreams say so instead of "no key"."""

import pytest

from dreams import credentials, lifecycle
from memory.access import Actor, Principal
from memory.errors import InvalidRequest


def test_a_claude_dream_over_an_unreadable_workspace_key_says_to_set_it_again(workspace, store, settings,
                                                                              monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    settings.REVERIE_ENCRYPTION_KEY = "the key of last year"
    credentials.set_model_key(workspace=workspace, api_key="sk-ant-api03-abcdefghijklmnop", base_url=None,
                              actor=Actor(user_id="user_admin"))
    settings.REVERIE_ENCRYPTION_KEY = "a new key, the old one lost"
    settings.SECRET_KEY_FALLBACKS = []

    with pytest.raises(InvalidRequest, match="cannot be decrypted"):
        lifecycle.start_dream(principal=Principal(workspace=workspace, user_id="user_admin"), store_id=store.id,
                              model_id="claude-sonnet-5-5", session_filter=lifecycle.SessionFilter())
