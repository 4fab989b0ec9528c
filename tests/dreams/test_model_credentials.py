"""A workspace's own model key: set, replace, clear; encryption at rest and rotation; which key
a workspace's dreams get (`client_options`) and what people are told (`describe_model_access`)."""

import logging

import anthropic
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dreams import credentials, crypto
from dreams.credentials import ModelKeyUnreadable, clear_model_key, client_options, describe_model_access, set_model_key
from dreams.models import ModelCredential
from memory.access import Actor
from memory.errors import InvalidRequest

KEY = "sk-ant-api03-" + "Q" * 80 + "7f3a"
OTHER_KEY = "sk-ant-api03-" + "R" * 80 + "9b1c"
ALICE = Actor(user_id="user_alice")


@pytest.fixture(autouse=True)
def no_server_key(monkeypatch, settings):
    """Each test starts from a server with no model key and the default encryption settings."""
    for variable in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    settings.REVERIE_ENCRYPTION_KEY = ""
    settings.REVERIE_ENCRYPTION_OLD_KEYS = []
    settings.SECRET_KEY_FALLBACKS = []


def _raw_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM dreams_modelcredential")
        return cursor.fetchall()


def test_it_sets_a_key(workspace):
    credential = set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    assert ModelCredential.objects.get() == credential
    assert credential.workspace_id == workspace.id
    assert credential.key_hint == "sk-ant-…7f3a"
    assert credential.base_url is None
    assert credential.updated_by == {"type": "user_actor", "user_id": "user_alice"}
    assert credential.updated_at is not None
    assert client_options(workspace) == {"api_key": KEY}


def test_it_keeps_the_database_column_encrypted(workspace):
    set_model_key(workspace=workspace, api_key=KEY, base_url="https://gateway.example/anthropic", actor=ALICE)
    (row,) = _raw_rows()
    assert not any(KEY in str(value) for value in row)
    assert not any("Q" * 20 in str(value) for value in row)
    ciphertext = ModelCredential.objects.get().api_key_ciphertext
    assert ciphertext in row and ciphertext.startswith("gAAAA")  # a Fernet token
    assert crypto.decrypt(ciphertext) == KEY
    assert KEY not in repr(ModelCredential.objects.get())


def test_it_encrypts_the_same_key_differently_each_time(workspace, other_workspace):
    first = set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    second = set_model_key(workspace=other_workspace, api_key=KEY, base_url=None, actor=ALICE)
    assert first.api_key_ciphertext != second.api_key_ciphertext


def test_it_replaces_a_key(workspace):
    set_model_key(workspace=workspace, api_key=KEY, base_url="https://gateway.example", actor=ALICE)
    bob = Actor(user_id="user_bob")
    credential = set_model_key(workspace=workspace, api_key=OTHER_KEY, base_url=None, actor=bob)
    assert ModelCredential.objects.count() == 1
    assert (credential.key_hint, credential.base_url) == ("sk-ant-…9b1c", None)
    assert ModelCredential.objects.get().updated_by == {"type": "user_actor", "user_id": "user_bob"}
    assert client_options(workspace) == {"api_key": OTHER_KEY}


def test_it_clears_a_key(workspace, other_workspace):
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    set_model_key(workspace=other_workspace, api_key=OTHER_KEY, base_url=None, actor=ALICE)
    assert clear_model_key(workspace=workspace, actor=ALICE) is True
    assert list(ModelCredential.objects.values_list("workspace_id", flat=True)) == [other_workspace.id]
    assert client_options(workspace) is None
    assert clear_model_key(workspace=workspace, actor=ALICE) is False


def test_it_goes_with_its_workspace(workspace):
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    workspace.delete()
    assert ModelCredential.objects.count() == 0


def test_it_strips_what_a_paste_brings_along(workspace):
    credential = set_model_key(workspace=workspace, api_key=f"  {KEY}\n", base_url="  https://gw.example/  ",
                               actor=ALICE)
    assert client_options(workspace) == {"api_key": KEY, "base_url": "https://gw.example/"}
    assert credential.base_url == "https://gw.example/"


@pytest.mark.parametrize("api_key,hint", [
    (KEY, "sk-ant-…7f3a"),
    ("abcdefgh12", "…12"),
    ("x" * 31 + "yz", "xxxxxxx…xxyz"),
    ("x" * 29 + "yz", "…yz"),
])
def test_it_masks_the_key(workspace, api_key, hint):
    assert set_model_key(workspace=workspace, api_key=api_key, base_url=None, actor=ALICE).key_hint == hint


@pytest.mark.parametrize("api_key,message", [
    ("", "Enter the model key."),
    ("   ", "Enter the model key."),
    ("sk-1234", "8 to 512 characters"),
    ("k" * 513, "8 to 512 characters"),
    ("sk-ant-with a-space-inside", "printable ASCII"),
    ("sk-ant-tab\there-1234", "printable ASCII"),
    ("sk-ant-ünïcode-1234", "printable ASCII"),
    ("sk-ant-nul\x00-1234", "printable ASCII"),
    (None, "must be a string"),
    (12345678, "must be a string"),
])
def test_it_rejects_a_bad_key(workspace, api_key, message):
    with pytest.raises(InvalidRequest) as caught:
        set_model_key(workspace=workspace, api_key=api_key, base_url=None, actor=ALICE)
    assert message in caught.value.message
    if isinstance(api_key, str) and api_key.strip():
        assert api_key.strip() not in caught.value.message
    assert ModelCredential.objects.count() == 0


@pytest.mark.parametrize("base_url,message", [
    ("ftp://gateway.example", "http:// or https://"),
    ("gateway.example/anthropic", "http:// or https://"),
    ("http://", "http:// or https://"),
    ("javascript:alert(1)", "http:// or https://"),
    ("https://user:pw@gateway.example", "user name or password"),
    ("https://gateway.example:99999", "not a valid URL"),
    ("http://[::1", "not a valid URL"),
    ("https://gateway.example/?key=1", "query"),
    ("https://gateway.example/#x", "fragment"),
    ("https://gateway.example/a b", "spaces"),
    ("https://gateway.example/\x00", "control characters"),
    ("https://g.example/" + "a" * 2048, "at most 2048"),
    (42, "must be a string"),
])
def test_it_rejects_a_bad_base_url(workspace, base_url, message):
    with pytest.raises(InvalidRequest) as caught:
        set_model_key(workspace=workspace, api_key=KEY, base_url=base_url, actor=ALICE)
    assert message in caught.value.message
    assert KEY not in caught.value.message
    assert ModelCredential.objects.count() == 0


@pytest.mark.parametrize("base_url,stored", [
    ("http://ollama:11434", "http://ollama:11434"),  # a host without a dot, as on a container network
    ("http://127.0.0.1:8080/v", "http://127.0.0.1:8080/v"),
    ("https://gateway.example/anthropic", "https://gateway.example/anthropic"),
    ("", None),
    (None, None),
])
def test_it_accepts_a_base_url(workspace, base_url, stored):
    assert set_model_key(workspace=workspace, api_key=KEY, base_url=base_url, actor=ALICE).base_url == stored


def test_it_never_logs_the_key(workspace, caplog):
    with caplog.at_level(logging.DEBUG):
        set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
        set_model_key(workspace=workspace, api_key=OTHER_KEY, base_url=None, actor=ALICE)
        client_options(workspace)
        clear_model_key(workspace=workspace, actor=ALICE)
    assert "sk-ant-…7f3a" in caplog.text and "removed" in caplog.text
    assert KEY not in caplog.text and OTHER_KEY not in caplog.text


# --- encryption keys and rotation -------------------------------------------------------------


def test_it_decrypts_with_a_rotated_key(workspace, settings):
    settings.REVERIE_ENCRYPTION_KEY = "the first passphrase"
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    settings.REVERIE_ENCRYPTION_KEY = "the second passphrase"
    settings.REVERIE_ENCRYPTION_OLD_KEYS = ["something else", "the first passphrase"]
    assert client_options(workspace) == {"api_key": KEY}
    assert credentials.reencrypt_model_keys() == (1, 0)
    settings.REVERIE_ENCRYPTION_OLD_KEYS = []  # the old passphrase is no longer needed
    assert client_options(workspace) == {"api_key": KEY}


def test_it_encrypts_new_keys_with_the_current_key_only(workspace, settings):
    settings.REVERIE_ENCRYPTION_KEY = "current"
    settings.REVERIE_ENCRYPTION_OLD_KEYS = ["old"]
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    settings.REVERIE_ENCRYPTION_KEY = "old"
    settings.REVERIE_ENCRYPTION_OLD_KEYS = []
    with pytest.raises(ModelKeyUnreadable):
        client_options(workspace)


def test_it_reads_keys_saved_before_an_encryption_key_was_set(workspace, settings):
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)  # under SECRET_KEY
    settings.REVERIE_ENCRYPTION_KEY = "a passphrase of its own"
    assert client_options(workspace) == {"api_key": KEY}


def test_it_follows_a_secret_key_rotation(workspace, settings):
    settings.SECRET_KEY = "the-old-secret-key-" + "x" * 40
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    settings.SECRET_KEY = "the-new-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-" + "x" * 40]
    assert client_options(workspace) == {"api_key": KEY}


def test_it_derives_its_key_apart_from_the_secret_key(settings):
    # Domain separation: the Fernet key is not SECRET_KEY itself hashed the plain way.
    settings.SECRET_KEY = "shared"
    token = crypto.encrypt("value")
    settings.SECRET_KEY = "unrelated"
    settings.REVERIE_ENCRYPTION_KEY = "shared"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token)


def test_it_raises_a_typed_error_for_a_wrong_key(workspace, settings):
    settings.REVERIE_ENCRYPTION_KEY = "right"
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    settings.REVERIE_ENCRYPTION_KEY = "wrong"
    token = ModelCredential.objects.get().api_key_ciphertext
    with pytest.raises(crypto.DecryptionFailed) as caught:
        crypto.decrypt(token)
    assert KEY not in str(caught.value)
    with pytest.raises(ModelKeyUnreadable) as caught:
        client_options(workspace)
    assert caught.value.message == "The workspace's model key cannot be decrypted; set it again."
    assert caught.value.status == 400 and caught.value.error_code == "model_key_unreadable"


@pytest.mark.parametrize("token", ["", "not a token", "gAAAAAB" + "A" * 100, "ünïcode"])
def test_it_refuses_a_damaged_token(token):
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token)


def test_it_refuses_an_altered_token():
    token = crypto.encrypt(KEY)
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(altered)


def test_it_rotates_what_it_can_and_counts_the_rest(workspace, other_workspace, settings):
    settings.REVERIE_ENCRYPTION_KEY = "lost"
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    settings.REVERIE_ENCRYPTION_KEY = "kept"
    set_model_key(workspace=other_workspace, api_key=OTHER_KEY, base_url=None, actor=ALICE)
    before = ModelCredential.objects.get(workspace=other_workspace)
    settings.REVERIE_ENCRYPTION_KEY = "new"
    settings.REVERIE_ENCRYPTION_OLD_KEYS = ["kept"]
    with pytest.raises(CommandError, match="1 model key"):
        call_command("rotate_model_keys")
    after = ModelCredential.objects.get(workspace=other_workspace)
    assert after.api_key_ciphertext != before.api_key_ciphertext
    assert (after.updated_at, after.updated_by) == (before.updated_at, before.updated_by)
    settings.REVERIE_ENCRYPTION_OLD_KEYS = []
    assert client_options(other_workspace) == {"api_key": OTHER_KEY}


# --- which key a dream gets ---------------------------------------------------------------------


def test_it_gives_no_options_without_any_key(workspace):
    assert client_options(workspace) is None


def test_it_uses_the_servers_api_key(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-server-key-1234")
    assert client_options(workspace) == {"api_key": "sk-server-key-1234"}
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.internal")
    assert client_options(workspace) == {"api_key": "sk-server-key-1234", "base_url": "https://proxy.internal"}


def test_it_uses_the_servers_auth_token(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "server-token-1234")
    assert client_options(workspace) == {"auth_token": "server-token-1234"}


def test_it_prefers_the_api_key_to_the_auth_token_as_the_sdk_does(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-server-key-1234")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "server-token-1234")
    assert client_options(workspace) == {"api_key": "sk-server-key-1234"}


def test_it_ignores_empty_environment_variables(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "")
    assert client_options(workspace) is None


def test_it_prefers_the_workspace_key_to_the_servers(workspace, other_workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-server-key-1234")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "server-token-1234")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.internal")
    set_model_key(workspace=workspace, api_key=KEY, base_url="http://ollama:11434", actor=ALICE)
    assert client_options(workspace) == {"api_key": KEY, "base_url": "http://ollama:11434"}
    assert client_options(other_workspace) == {"api_key": "sk-server-key-1234", "base_url": "https://proxy.internal"}


def test_it_sends_a_workspace_key_to_the_servers_base_url_when_it_has_none(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.internal")
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    assert client_options(workspace) == {"api_key": KEY, "base_url": "https://proxy.internal"}


def test_it_makes_a_client_with_only_the_workspace_credential(workspace, monkeypatch):
    # The SDK takes explicit credentials as the whole story: the server's token is not sent along.
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "server-token-1234")
    set_model_key(workspace=workspace, api_key=KEY, base_url="http://ollama:11434", actor=ALICE)
    client = anthropic.Anthropic(**client_options(workspace))
    assert (client.api_key, client.auth_token) == (KEY, None)
    assert str(client.base_url).startswith("http://ollama:11434")


def test_it_does_not_fall_back_to_the_server_when_the_workspace_key_is_unreadable(workspace, settings, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-server-key-1234")
    settings.REVERIE_ENCRYPTION_KEY = "right"
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    settings.REVERIE_ENCRYPTION_KEY = "wrong"
    with pytest.raises(ModelKeyUnreadable):
        client_options(workspace)


# --- what people are told ---------------------------------------------------------------------


def test_it_describes_no_key(workspace):
    assert describe_model_access(workspace) == credentials.ModelAccess(source=None, hint=None, base_url=None,
                                                                       available=False)


def test_it_describes_the_servers_key(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-server-key-1234")
    access = describe_model_access(workspace)
    assert (access.source, access.hint, access.base_url, access.available) == (
        "environment", "ANTHROPIC_API_KEY", None, True)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "server-token-1234")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.internal")
    access = describe_model_access(workspace)
    assert (access.source, access.hint, access.base_url, access.base_url_source, access.available) == (
        "environment", "ANTHROPIC_AUTH_TOKEN", "https://proxy.internal", "environment", True)


def test_it_describes_the_workspace_key(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-server-key-1234")
    set_model_key(workspace=workspace, api_key=KEY, base_url="https://gateway.example", actor=ALICE)
    access = describe_model_access(workspace)
    assert (access.source, access.hint, access.base_url, access.base_url_source, access.available,
            access.problem) == ("workspace", "sk-ant-…7f3a", "https://gateway.example", "workspace", True, None)
    assert access.updated_at == ModelCredential.objects.get().updated_at
    assert KEY not in repr(access)


def test_it_describes_the_base_url_a_workspace_key_gets_from_the_server(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.internal")
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    access = describe_model_access(workspace)
    assert (access.base_url, access.base_url_source) == ("https://proxy.internal", "environment")


def test_it_describes_an_unreadable_workspace_key(workspace, settings):
    settings.REVERIE_ENCRYPTION_KEY = "right"
    set_model_key(workspace=workspace, api_key=KEY, base_url=None, actor=ALICE)
    settings.REVERIE_ENCRYPTION_KEY = "wrong"
    access = describe_model_access(workspace)
    assert (access.source, access.hint, access.available) == ("workspace", "sk-ant-…7f3a", False)
    assert access.problem == "The workspace's model key cannot be decrypted; set it again."
