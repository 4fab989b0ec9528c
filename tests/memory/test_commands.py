"""`manage.py create_api_key` and `manage.py bootstrap`: the secrets they print authenticate
through the SDK, with the access they promise."""

import io

import anthropic
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from memory import identity, stores
from memory.identity import hash_secret
from memory.models import Access, Agent, ApiKey, Membership, MemoryStore, Role, Workspace


def run(command, *args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def secret_from(stdout: str) -> str:
    """The last line of stdout, which must be the secret and nothing else."""
    last = stdout.rstrip("\n").splitlines()[-1]
    assert last == last.strip() and " " not in last, f"last line is not a bare secret: {last!r}"
    return last


# --- create_api_key ------------------------------------------------------------------------------


def test_it_creates_an_admin_key_in_the_default_workspace(sdk, transactional_db):
    assert not Workspace.objects.filter(name="default").exists()

    out, err = run("create_api_key", "ci")

    secret = secret_from(out)
    key = ApiKey.objects.get(secret_hash=hash_secret(secret))
    assert key.name == "ci"
    assert key.agent_id is None
    assert key.workspace.name == "default"
    assert secret not in err
    # The secret is an admin key of "default": it may create and manage stores there.
    client = sdk(secret)
    created = client.beta.memory_stores.create(name="from the command line")
    assert MemoryStore.objects.get(id=created.id).workspace_id == key.workspace_id
    assert client.get("/v1/agents", cast_to=object)["data"] == []


def test_it_creates_an_admin_key_in_a_named_workspace(sdk, workspace, store):
    out, _ = run("create_api_key", "ops", "--workspace", workspace.name)

    secret = secret_from(out)
    assert ApiKey.objects.get(secret_hash=hash_secret(secret)).workspace_id == workspace.id
    assert Workspace.objects.filter(name=workspace.name).count() == 1
    assert {s.id for s in sdk(secret).beta.memory_stores.list()} == {store.id}


def test_it_creates_a_missing_workspace(sdk, transactional_db):
    out, _ = run("create_api_key", "k", "--workspace", "brand-new")

    secret = secret_from(out)
    workspace = Workspace.objects.get(name="brand-new")
    assert ApiKey.objects.get(secret_hash=hash_secret(secret)).workspace_id == workspace.id
    assert list(sdk(secret).beta.memory_stores.list()) == []


def test_it_creates_an_agent_key_and_the_agent(sdk, workspace, store):
    out, err = run("create_api_key", "bot key", "--agent", "bot", "--workspace", workspace.name)

    secret = secret_from(out)
    key = ApiKey.objects.get(secret_hash=hash_secret(secret))
    agent = Agent.objects.get(workspace=workspace, name="bot")
    assert key.agent_id == agent.id
    assert key.workspace_id == workspace.id
    assert secret not in err
    # A new agent has no grant: the store (default no_access) does not exist for it,
    # and agent keys cannot manage stores.
    client = sdk(secret)
    with pytest.raises(anthropic.NotFoundError):
        client.beta.memory_stores.retrieve(store.id)
    with pytest.raises(anthropic.PermissionDeniedError):
        client.beta.memory_stores.create(name="nope")
    assert list(client.beta.memory_stores.list()) == []


def test_an_agent_key_has_the_existing_agents_grants(sdk, workspace, store):
    agent = identity.create_agent(workspace=workspace, name="librarian")
    stores.set_grant(store=store, agent_id=agent.id, access=Access.READ_ONLY)
    writable = stores.create_store(workspace=workspace, name="scratch")
    stores.set_grant(store=writable, agent_id=agent.id, access=Access.READ_WRITE)
    hidden = stores.create_store(workspace=workspace, name="hidden")

    out, _ = run("create_api_key", "second key", "--agent", "librarian", "--workspace", workspace.name)

    secret = secret_from(out)
    assert ApiKey.objects.get(secret_hash=hash_secret(secret)).agent_id == agent.id
    assert Agent.objects.filter(workspace=workspace, name="librarian").count() == 1
    client = sdk(secret)
    assert {s.id for s in client.beta.memory_stores.list()} == {store.id, writable.id}
    with pytest.raises(anthropic.PermissionDeniedError):
        client.beta.memory_stores.memories.create(store.id, path="/a.md", content="a")
    assert client.beta.memory_stores.memories.create(writable.id, path="/a.md", content="a").path == "/a.md"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.memory_stores.retrieve(hidden.id)


def test_each_run_makes_a_new_key(transactional_db):
    first, _ = run("create_api_key", "same")
    second, _ = run("create_api_key", "same")

    assert secret_from(first) != secret_from(second)
    assert ApiKey.objects.filter(name="same").count() == 2
    assert Workspace.objects.filter(name="default").count() == 1


@pytest.mark.parametrize("args", [[""], ["x" * 256], ["ok", "--workspace", ""], ["ok", "--agent", ""]])
def test_an_invalid_name_is_an_error_and_creates_no_key(transactional_db, args):
    with pytest.raises(CommandError):
        run("create_api_key", *args)

    assert not ApiKey.objects.exists()
    assert not Agent.objects.exists()


# --- bootstrap ---------------------------------------------------------------------------------


def _bootstrap_secrets(stdout: str):
    """(username, password, admin key secret) from bootstrap's output."""
    login = next(line for line in stdout.splitlines() if "console login" in line)
    key = next(line for line in stdout.splitlines() if "API key" in line)
    username, _, password = login.split(":", 1)[1].strip().partition(" / ")
    return username, password, key.split(":", 1)[1].strip()


def test_bootstrap_sets_up_a_workspace_a_superuser_and_an_admin_key(sdk, transactional_db):
    out, _ = run("bootstrap")

    username, password, secret = _bootstrap_secrets(out)
    workspace = Workspace.objects.get(name="default")
    user = get_user_model().objects.get(username=username)
    assert username == "admin"
    assert user.is_superuser and user.check_password(password)
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.ADMIN
    key = ApiKey.objects.get(secret_hash=hash_secret(secret))
    assert (key.workspace_id, key.agent_id) == (workspace.id, None)
    client = sdk(secret)
    created = client.beta.memory_stores.create(name="first")
    assert MemoryStore.objects.get(id=created.id).workspace_id == workspace.id


def test_bootstrap_takes_a_username(transactional_db):
    out, _ = run("bootstrap", "--username", "root")

    username, password, _ = _bootstrap_secrets(out)
    assert username == "root"
    assert get_user_model().objects.get(username="root").check_password(password)


def test_bootstrap_a_second_time_creates_nothing(sdk, transactional_db):
    first, _ = run("bootstrap")
    _, password, secret = _bootstrap_secrets(first)
    counts = lambda: tuple(m.objects.count() for m in (get_user_model(), ApiKey, Workspace, Membership))  # noqa: E731
    before = counts()

    second, _ = run("bootstrap")

    assert counts() == before == (1, 1, 1, 1)
    assert secret not in second and password not in second
    assert "API key" not in second
    # The first key and password still work.
    assert get_user_model().objects.get().check_password(password)
    assert list(sdk(secret).beta.memory_stores.list()) == []
