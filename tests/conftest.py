"""Shared fixtures. Personas are built through the domain functions, and the API
is exercised with the official SDK against a live server (pytest-django)."""

import os

import anthropic
import pytest
from django.conf import settings
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations

from console.celery import app as celery_app
from memory import identity, stores
from memory.models import Access

# Parallel test processes (pytest-xdist) each have their own database, so each
# gets its own task queue too: a worker must never run another process's tasks.
TASK_QUEUE = f"reverie-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
celery_app.conf.task_default_queue = TASK_QUEUE

def _delete_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Empty tables between live-server tests with DELETE instead of TRUNCATE.

    PostgreSQL's TRUNCATE creates and syncs new files for every table, about a
    second and a half per test here; DELETE on a handful of rows takes
    milliseconds. Foreign keys are deferred, so the order does not matter.
    """
    return [f"DELETE FROM {self.quote_name(table)};" for table in tables]


PostgresOperations.sql_flush = _delete_flush

# Listing the apps lets Django skip re-running post_migrate (content types,
# permissions) after every flush: a third of a second per test on PostgreSQL.
AVAILABLE_APPS = ["memory", "dreams", "console", "django_celery_beat", "django.contrib.admin",
                  "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                  "django.contrib.messages", "django.contrib.staticfiles", "rest_framework", "drf_spectacular",
                  "django_htmx"]


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(available_apps=AVAILABLE_APPS))

# The live server's request threads must not keep connections open past a
# request, or PostgreSQL refuses to drop the test database at the end.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture
def workspace(transactional_db):
    return identity.get_or_create_workspace(name="acme")


@pytest.fixture
def other_workspace(transactional_db):
    return identity.get_or_create_workspace(name="globex")


@pytest.fixture
def sdk(live_server):
    """Make an SDK client for a secret, pointed at the live server. No retries, so each call is one request."""

    def make(secret: str, **options) -> anthropic.Anthropic:
        options.setdefault("max_retries", 0)
        return anthropic.Anthropic(api_key=secret, base_url=live_server.url, **options)

    return make


@pytest.fixture
def admin_key(workspace):
    return identity.issue_api_key(workspace=workspace, name="admin")


@pytest.fixture
def admin(sdk, admin_key):
    """The workspace admin, as an SDK client."""
    return sdk(admin_key.secret)


@pytest.fixture
def outsider(sdk, other_workspace):
    """An admin of another workspace."""
    return sdk(identity.issue_api_key(workspace=other_workspace, name="outsider").secret)


@pytest.fixture
def store(workspace):
    return stores.create_store(workspace=workspace, name="ops")


def _agent_client(sdk, workspace, store, name, access):
    agent = identity.create_agent(workspace=workspace, name=name)
    if access is not None:
        stores.set_grant(store=store, agent_id=agent.id, access=access)
    client = sdk(identity.issue_api_key(workspace=workspace, name=f"{name} key", agent=agent).secret)
    client.agent = agent
    return client


@pytest.fixture
def agent_rw(sdk, workspace, store):
    return _agent_client(sdk, workspace, store, "writer", Access.READ_WRITE)


@pytest.fixture
def agent_ro(sdk, workspace, store):
    return _agent_client(sdk, workspace, store, "reader", Access.READ_ONLY)


@pytest.fixture
def agent_none(sdk, workspace, store):
    return _agent_client(sdk, workspace, store, "stranger", Access.NO_ACCESS)


@pytest.fixture
def agent_default(sdk, workspace, store):
    """An agent with no grant on `store`: the store's default_agent_access applies."""
    return _agent_client(sdk, workspace, store, "newcomer", None)
