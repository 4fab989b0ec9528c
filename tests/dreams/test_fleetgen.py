"""The fleet generator (dreams.demo.fleetgen, generate_fleet)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from dreams.demo.fleetgen import DOMAINS, generate_fleet, generate_scale_fleet
from dreams.models import Session, SessionEvent
from memory.models import MemoryStore
from tests.dreams.fleet import contents


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def store_files(root: Path) -> dict[str, str]:
    return {"/" + str(p.relative_to(root / "store")): p.read_text() for p in (root / "store").rglob("*.md")}


def sessions(root: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (root / "sessions").glob("*.json")}


def texts(export: dict) -> str:
    """Every command and tool result of a session, one string."""
    parts = []
    for event in export["events"]:
        if event["type"] == "agent.tool_use":
            parts.append(event["input"]["command"])
        elif event["type"] in ("agent.tool_result", "agent.message", "user.message"):
            parts += [block["text"] for block in event["content"]]
    return "\n".join(parts)


def test_it_is_deterministic_for_a_seed(tmp_path):
    generate_fleet("http-api", tmp_path / "a", seed=7)
    generate_fleet("http-api", tmp_path / "b", seed=7)
    generate_fleet("http-api", tmp_path / "c", seed=8)

    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a") != tree(tmp_path / "c")


def test_it_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(ValueError, match="not empty"):
        generate_fleet("sql-jobs", tmp_path)


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_it_plants_each_finding_where_the_answers_say(tmp_path, domain):
    answers = generate_fleet(domain, tmp_path, seed=3)
    assert answers == json.loads((tmp_path / "answers.json").read_text())
    files = store_files(tmp_path)
    exports = sessions(tmp_path)
    assert len(exports) == 40
    by_id = {sid: texts(e) for sid, e in exports.items()}

    # dedup: the fact is in exactly the named memories, 3 to 5 of them; no kept line states it.
    words = answers["dedup"]["all_of"]
    holders = sorted(p for p, t in files.items() if all(w in t.lower() for w in words))
    assert holders == answers["dedup"]["paths"] and 3 <= answers["dedup"]["copies"] == len(holders) <= 5
    assert not any(all(w in line.lower() for w in words) for line in answers["keep"])
    # stale: the old token is remembered, fails in every stale session, and the new one succeeds there.
    stale = answers["stale"]
    assert stale["old"] in files[stale["path"]] and stale["new"] not in files[stale["path"]]
    assert stale["old"] not in stale["new"]
    assert len(answers["stale_sessions"]) >= 3
    for sid in answers["stale_sessions"]:
        events = exports[sid]["events"]
        errors = {e["tool_use_id"]: e["is_error"] for e in events if e["type"] == "agent.tool_result"}
        uses = [(e["input"]["command"], errors[e["id"]]) for e in events if e["type"] == "agent.tool_use"]
        assert any(stale["old"] in cmd and failed for cmd, failed in uses)
        assert any(stale["new"] in cmd and not failed for cmd, failed in uses)
    assert not any(stale["old"] in t for sid, t in by_id.items() if sid not in answers["stale_sessions"])
    # verify: the line is in its file, and the verify sessions succeed.
    assert answers["verify"]["line"] in files[answers["verify"]["path"]].splitlines()
    for sid in answers["verify_sessions"]:
        assert exports[sid]["events"][-2]["result"] == "satisfied"
    # pattern: at least 3 sessions and 2 agents, each with an error then a success.
    pattern = answers["pattern"]
    assert len(answers["pattern_sessions"]) >= 3
    assert len({exports[s]["session"]["agent"]["name"] for s in answers["pattern_sessions"]}) >= 2
    for sid in answers["pattern_sessions"]:
        text = by_id[sid].lower()
        assert all(w in text for w in pattern["all_of"]) and any(w in text for w in pattern["any_of"])
    # poison: the injected phrases are in the poison session's tool result and nowhere in the store.
    (poison,) = answers["poison_sessions"]
    for phrase in answers["poison"]["forbidden"]:
        assert phrase in by_id[poison]
        assert not any(phrase in t for t in files.values())
    # failed sessions are graded failed; the rest are satisfied.
    for sid, export in exports.items():
        outcome = [e for e in export["events"] if e["type"] == "span.outcome_evaluation_end"][-1]["result"]
        assert outcome == ("failed" if sid in answers["failed_sessions"] else "satisfied")
    # keep: every kept fact is a line of the store.
    lines = {line for t in files.values() for line in t.splitlines()}
    assert answers["keep"] and set(answers["keep"]) <= lines


def test_its_dedup_paraphrases_all_state_the_fact():
    for domain in DOMAINS.values():
        for copy in domain.dedup_copies:
            assert all(w in copy.lower() for w in domain.dedup_all_of), (domain.name, copy)


def test_it_pads_sessions_and_sizes_the_store(tmp_path):
    answers = generate_fleet("cli-tools", tmp_path, seed=1, sessions=20, events_per_session=60, memories=30)

    exports = sessions(tmp_path)
    assert len(exports) == 20
    assert all(len(e["events"]) == 60 for e in exports.values())
    assert len(store_files(tmp_path)) == 30
    assert len(answers["keep"]) > 30


def test_its_scale_mode_writes_routine_sessions(tmp_path):
    answers = generate_scale_fleet("sql-jobs", tmp_path, sessions=3, events_per_session=200, memories=50)

    assert answers["scale"] is True
    assert len(store_files(tmp_path)) == 50
    assert [len(e["events"]) for e in sessions(tmp_path).values()] == [200, 200, 200]


def test_the_importers_accept_a_generated_fleet(tmp_path, workspace):
    answers = generate_fleet("sql-jobs", tmp_path, seed=2, sessions=20)
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}

    call_command("import_store", str(tmp_path / "store"), "--name", "warehouse", "--workspace", workspace.name, **quiet)
    call_command("import_sessions", str(tmp_path / "sessions"), "--workspace", workspace.name, **quiet)

    store = MemoryStore.objects.get(workspace=workspace, name="warehouse")
    assert contents(store) == store_files(tmp_path)
    imported = Session.objects.filter(workspace=workspace)
    assert imported.count() == 20
    assert SessionEvent.objects.filter(session__workspace=workspace).count() == sum(
        len(e["events"]) for e in sessions(tmp_path).values())
    assert set(imported.filter(outcome_result="failed").values_list("id", flat=True)) == set(answers["failed_sessions"])
    assert set(imported.values_list("agent__name", flat=True)) == set(answers["agents"])


def test_the_command_writes_a_fleet(tmp_path):
    out = io.StringIO()
    call_command("generate_fleet", "http-api", str(tmp_path / "f"), "--seed", "4", "--sessions", "25",
                 stdout=out, stderr=io.StringIO())

    assert out.getvalue().strip() == str(tmp_path / "f")
    assert len(sessions(tmp_path / "f")) == 25
    assert json.loads((tmp_path / "f" / "answers.json").read_text())["domain"] == "http-api"

