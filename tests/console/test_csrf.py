"""Every console URL refuses a POST without a CSRF token, whoever is signed in."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dreams.sessions import register_session
from memory import identity
from memory.models import MemoryVersion


def _console_patterns():
    """(name, pattern) of every route in the console namespace, includes flattened."""
    found = []

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                found.append((entry.name, prefix + str(entry.pattern)))

    resolver = get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver) and getattr(entry, "namespace", None) == "console":
            walk(entry.url_patterns, str(entry.pattern))
    return found


PATTERNS = _console_patterns()


def test_the_console_has_the_routes_this_test_walks():
    names = {name for name, _ in PATTERNS}
    assert {"workspace", "memory_edit", "grant_set", "dream_new", "dream_approve", "dream_rollback",
            "version_restore", "version_redact", "key_create", "key_revoke", "store_schedule"} <= names


@pytest.mark.parametrize("name,pattern", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_a_post_without_a_csrf_token_is_refused(name, pattern, workspace, store, note, writer_actor):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(username="root", password="pw")
    agent = identity.create_agent(workspace=workspace, name="bot")
    key = identity.issue_api_key(workspace=workspace, name="k", agent=agent).key
    session = register_session(workspace=workspace, agent=agent, environment_id="env")
    values = {"workspace_id": workspace.id, "store_id": store.id, "memory_id": note.id,
              "version_id": MemoryVersion.objects.filter(memory_id=note.id).first().id, "agent_id": agent.id,
              "key_id": key.id, "session_id": session.id, "dream_id": "drm_unknown"}
    url = "/" + pattern
    for arg, value in values.items():
        url = url.replace(f"<str:{arg}>", value)
    assert "<" not in url, url
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    r = client.post(url, {"name": "x", "content": "x", "path": "/x.md", "access": "read_only"})
    assert r.status_code == 403, (url, r.status_code)
    assert b"CSRF" in r.content
