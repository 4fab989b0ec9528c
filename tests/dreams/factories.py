"""Test data built through the domain functions, and the sample files under data/."""

import io
import json
from pathlib import Path

from django.core.management import CommandError, call_command

from dreams import sessions

DATA = Path(__file__).parent / "data"
FLEET = DATA / "sre-fleet"
CLAUDE_CODE = DATA / "claude_code" / "-home-dev-payments-api"
CLAUDE_CODE_BROKEN = DATA / "claude_code_broken"


def make_session(workspace, agent, **fields):
    fields.setdefault("environment_id", "env_test")
    return sessions.register_session(workspace=workspace, agent=agent, **fields)


def text_event(event_type="user.message", text="hello", **fields):
    return {"type": event_type, "content": [{"type": "text", "text": text}], **fields}


def run(command, *args, **options):
    """Run a management command; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def run_failing(command, *args, **options):
    """Run a management command that must fail; returns (stdout, stderr, the CommandError's message)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err, **options)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), str(exc)
    raise AssertionError(f"{command} did not fail:\n{out.getvalue()}\n{err.getvalue()}")


def fleet_file(session_id: str) -> dict:
    return json.loads((FLEET / f"{session_id}.json").read_text())


def fleet_ids() -> list[str]:
    return sorted(p.stem for p in FLEET.glob("*.json"))


def export_via_api(client, session_id: str) -> dict:
    """{"session", "events"} as the API sends them (raw JSON, every page of events)."""
    events, page = [], None
    while True:
        params = {"limit": 100, **({"page": page} if page else {})}
        body = client.get(f"/v1/sessions/{session_id}/events", options={"params": params}, cast_to=object)
        events += body["data"]
        page = body["next_page"]
        if not page:
            break
    return {"session": client.get(f"/v1/sessions/{session_id}", cast_to=object), "events": events}
