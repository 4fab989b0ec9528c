"""Console personas: users with a role in the `acme` workspace, and a store to browse."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from memory import identity
from memory.access import Actor
from memory.models import Role
from memory.store import create_memory


def _user(username, *, workspace=None, role=None, superuser=False):
    User = get_user_model()
    if superuser:
        user = User.objects.create_superuser(username=username, password="pw-" + username)
    else:
        user = User.objects.create_user(username=username, password="pw-" + username)
    if workspace is not None:
        identity.add_member(workspace=workspace, user=user, role=role)
    return user


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_admin(workspace):
    return _client(_user("alice", workspace=workspace, role=Role.ADMIN))


@pytest.fixture
def olga_operator(workspace):
    return _client(_user("olga", workspace=workspace, role=Role.OPERATOR))


@pytest.fixture
def vic_viewer(workspace):
    return _client(_user("vic", workspace=workspace, role=Role.VIEWER))


@pytest.fixture
def root_superuser(transactional_db):
    return _client(_user("root", superuser=True))


@pytest.fixture
def writer_actor():
    return Actor(user_id="user_fixture")


@pytest.fixture
def note(store, writer_actor):
    return create_memory(store=store, path="/runbooks/db.md", content="# DB\n\nRestart with care.", actor=writer_actor)


@pytest.fixture
def foreign_store(other_workspace):
    from memory import stores

    return stores.create_store(workspace=other_workspace, name="secret")
