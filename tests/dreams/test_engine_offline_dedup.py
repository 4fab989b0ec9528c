"""The offline engine's duplicate merging, on data from a billing team (no database)."""

import pytest

from dreams.engines.base import BaseMemory, BudgetExceeded, Context, Event, SessionRecord
from dreams.engines.offline import OfflineEngine


def memory(memory_id, path, content, sessions=()):
    return BaseMemory(memory_id=memory_id, path=path, content=content, sha256="0" * 64, version_id=f"ver_{memory_id}",
                      written_by_sessions=tuple(sessions))


BASE = [
    memory("m1", "/team/billing.md", "# Billing\n- Invoices are generated at 02:00 UTC.\n"
           "- The invoices API rejects amounts above 10000 EUR with HTTP 422.\n- Refunds need two approvals.\n"),
    memory("m2", "/notes/agent-a.md", "- Invoices API: amounts over 10000 EUR are rejected with a 422.\n",
           sessions=["sesn_writer"]),
    memory("m3", "/notes/agent-b.md", "- note: the invoices api rejects amounts above 10000 eur (http 422)\n"
           "- The sandbox resets every Sunday.\n"),
    memory("m4", "/team/oncall.md", "- Escalate to finance-oncall after 30 minutes.\n"),
]


def session(session_id, texts):
    events = [Event(id=f"{session_id}_e{i}", type="agent.message", payload={"content": [{"type": "text", "text": t}]})
              for i, t in enumerate(texts)]
    return SessionRecord(id=session_id, agent_name="billing-bot", title=None, outcome_result="satisfied",
                         outcome_score=None, events=lambda: iter(events))


def run(base, sessions=(), budget=None):
    return list(OfflineEngine().run(base=base, sessions=sessions, instructions=None,
                                    context=Context(budget_tokens=budget)))


def test_it_keeps_one_copy_in_the_richest_memory_and_removes_the_others():
    changes = run(BASE)

    by_memory = {c.memory_id: c for c in changes}
    assert set(by_memory) == {"m2", "m3"}
    assert by_memory["m2"].operation == "delete"
    assert by_memory["m3"].operation == "modify"
    assert by_memory["m3"].content == "- The sandbox resets every Sunday.\n"
    assert all(c.category == "dedup" for c in changes)
    assert all("/team/billing.md" in c.rationale for c in changes)


def test_it_touches_nothing_when_there_are_no_duplicates():
    assert run([BASE[0], BASE[3]]) == []


def test_it_merges_copies_within_one_memory():
    doubled = memory("m9", "/team/x.md", "- Refunds need two approvals.\n- Other fact about 7 days.\n"
                     "- Refunds always need two approvals.\n")
    changes = run([doubled])
    assert len(changes) == 1
    assert changes[0].content == "- Refunds need two approvals.\n- Other fact about 7 days.\n"


def test_its_evidence_names_the_copies_the_writers_and_the_sessions_that_state_the_fact():
    sessions = [session("sesn_1", ["Careful: the invoices API rejects amounts above 10000 EUR (HTTP 422)."]),
                session("sesn_2", ["All done, nothing about invoices here."])]

    changes = run(BASE, sessions)

    evidence = changes[0].evidence
    assert {e["memory_id"] for e in evidence if e["type"] == "memory"} == {"m1", "m2", "m3"}
    session_refs = {e["session_id"]: e["event_ids"] for e in evidence if e["type"] == "session"}
    assert session_refs["sesn_1"] == ["sesn_1_e0"]
    assert "sesn_writer" in session_refs
    assert "sesn_2" not in session_refs


def test_it_stops_at_its_budget():
    with pytest.raises(BudgetExceeded):
        run(BASE, budget=10)
