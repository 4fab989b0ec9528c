"""A Claude dream in the console: its transcript renders every kind of event it recorded, and its
page shows a failure's error type and message."""

from dreams import runner
from dreams.models import Dream
from tests.dreams.claude.conftest import Brain, agent, fake, notes, sessions, start  # noqa: F401
from tests.fakes.messages_api import error, reply, tool_use


def test_the_dreams_transcript_renders_its_turns_tool_calls_and_results(fake, alice_admin, workspace, notes,
                                                                         sessions):
    fake.handler = Brain(
        reply(tool_use("memory", {"command": "view", "path": "/memories/<script>x</script>"})),
        reply("Nothing to change."),
    )
    dream = start(workspace, notes, sessions)
    assert runner.run_dream(dream.id) == "completed"
    dream = Dream.objects.get(pk=dream.pk)

    r = alice_admin.get(f"/w/{workspace.id}/sessions/{dream.session_id}")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Nothing to change." in body and "memory" in body
    assert "does not exist" in body  # the tool error the model got back
    assert "<script>x</script>" not in body


def test_a_failed_claude_dream_shows_why(fake, alice_admin, workspace, notes, sessions, settings):
    settings.REVERIE_CLAUDE_MAX_RETRIES = 0
    fake.always(error(401, "authentication_error", "invalid x-api-key"))
    dream = start(workspace, notes, sessions)
    assert runner.run_dream(dream.id) == "failed"

    r = alice_admin.get(f"/w/{workspace.id}/stores/{notes.id}/dreams/{dream.id}")
    assert r.status_code == 200
    assert "model_authentication_error" in r.content.decode() and "invalid x-api-key" in r.content.decode()
