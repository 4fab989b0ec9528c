"""Sweeps over every console route: a POST without a CSRF token is refused, a viewer can POST
nothing, and a member of another workspace reaches no page of this one."""

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
# Pages inside a workspace (all but the home page, which only redirects to one of your own).
IN_WORKSPACE = [(name, pattern) for name, pattern in PATTERNS if "<str:workspace_id>" in pattern]


def test_the_console_has_the_routes_this_test_walks():
    names = {name for name, _ in PATTERNS}
    assert {"workspace", "memory_edit", "grant_set", "dream_new", "dream_approve", "dream_rollback",
            "version_restore", "version_redact", "key_create", "key_revoke", "store_schedule", "model_key",
            "model_key_remove"} <= names


@pytest.fixture
def urls_of(workspace, store, note):
    """Fill a route's pattern with real ids of the `acme` workspace."""
    agent = identity.create_agent(workspace=workspace, name="bot")
    key = identity.issue_api_key(workspace=workspace, name="k", agent=agent).key
    session = register_session(workspace=workspace, agent=agent, environment_id="env")
    values = {"workspace_id": workspace.id, "store_id": store.id, "memory_id": note.id,
              "version_id": MemoryVersion.objects.filter(memory_id=note.id).first().id, "agent_id": agent.id,
              "key_id": key.id, "session_id": session.id, "dream_id": "drm_unknown"}

    def fill(pattern):
        url = "/" + pattern
        for arg, value in values.items():
            url = url.replace(f"<str:{arg}>", value)
        assert "<" not in url, url
        return url

    return fill


FORM = {"name": "x", "content": "x", "path": "/x.md", "access": "read_only", "agent_id": "x", "store_id": "x",
        "default_agent_access": "read_write", "after_sessions": "1"}


def _snapshot():
    from django.apps import apps

    return {model.__name__: model.objects.count() for model in apps.get_app_config("memory").get_models()} | {
        model.__name__: model.objects.count() for model in apps.get_app_config("dreams").get_models()}


@pytest.mark.parametrize("name,pattern", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_a_post_without_a_csrf_token_is_refused(name, pattern, urls_of):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(username="root", password="pw")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = urls_of(pattern)
    r = client.post(url, FORM)
    assert r.status_code == 403, (url, r.status_code)
    assert b"CSRF" in r.content


@pytest.mark.parametrize("name,pattern", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_a_viewer_can_post_nothing(name, pattern, urls_of, vic_viewer):
    url = urls_of(pattern)
    before = _snapshot()
    r = vic_viewer.post(url, FORM)
    assert r.status_code in (403, 405), (url, r.status_code)
    assert _snapshot() == before


@pytest.mark.parametrize("name,pattern", IN_WORKSPACE, ids=[name for name, _ in IN_WORKSPACE])
def test_a_member_of_another_workspace_reaches_no_page_of_this_one(name, pattern, urls_of, other_workspace):
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user(username="sam", password="pw")
    identity.add_member(workspace=other_workspace, user=stranger, role="admin")
    client = Client()
    client.force_login(stranger)
    url = urls_of(pattern)
    before = _snapshot()
    for response in (client.get(url), client.post(url, FORM)):
        assert response.status_code in (404, 405), (url, response.status_code)
    assert _snapshot() == before


HOSTILE_QUERIES = [
    "page=%00", "page=not-a-cursor", "page=-1", "page=99999999999999999999", "prefix=..%2F", "prefix=%00",
    "prefix=<script>", "q=%00", "q=" + "x" * 5000, "a=x&b=y", "b=" + "z" * 300, "mode=<b>", "since=9999-99-99",
    "until=2026-13-45", "agent=%27%20OR%201=1", "operation=bogus", "highlight=%00,%22%3E", "outcome=nope",
    "status=weird", "archived=maybe", "session=<img>", "content=on&q=%25", "q=_&content=on",
]


@pytest.mark.parametrize("name,pattern", IN_WORKSPACE, ids=[name for name, _ in IN_WORKSPACE])
def test_hostile_query_strings_never_make_a_500(name, pattern, urls_of, alice_admin):
    url = urls_of(pattern)
    for query in HOSTILE_QUERIES:
        r = alice_admin.get(f"{url}?{query}")
        assert r.status_code < 500, (url, query, r.status_code)
        r = alice_admin.get(f"{url}?{query}", HTTP_HX_REQUEST="true")
        assert r.status_code < 500, (url, query, "htmx", r.status_code)


HOSTILE_FORMS = [
    {},
    {key: "\x00" for key in ("name", "content", "path", "access", "agent_id", "store_id", "expected_sha256", "cron",
                             "after_sessions", "budget_tokens", "model", "max_sessions", "min_score", "change_ids",
                             "default_agent_access", "description", "instructions", "mint_token", "session_ids")},
    {"path": "/" + "a/" * 40 + "x.md", "content": "x" * 200_000, "name": "n" * 5000, "cron": "* * * * * * *",
     "after_sessions": "99999999999999999999999", "budget_tokens": "1e400", "min_score": "nan", "max_sessions": "-5",
     "change_ids": ["pchg_nope", ""], "session_ids": ["sesn_nope"], "created_after": "2026-02-30T25:61",
     "access": "everything", "agent_id": "agent_nope", "store_id": "memstore_nope", "expected_sha256": "zz"},
]


@pytest.mark.parametrize("name,pattern", IN_WORKSPACE, ids=[name for name, _ in IN_WORKSPACE])
def test_hostile_forms_never_make_a_500(name, pattern, urls_of, alice_admin):
    url = urls_of(pattern)
    for form in HOSTILE_FORMS:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            r = alice_admin.post(url, form, **headers)
            assert r.status_code < 500, (url, sorted(form)[:3], r.status_code)
