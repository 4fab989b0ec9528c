"""Inputs and states a dream refuses with a clear error, through the API (the console shares these rules)."""

import anthropic
import pytest

from dreams.models import Dream, DreamStatus, ProposedChange
from tests.dreams.test_dream_pipeline import create
from tests.dreams.test_dream_review import client, dream, fleet, operator_key, post  # noqa: F401 (fixtures)


def test_a_proposal_cannot_be_approved_or_rejected_while_its_dream_runs(client, dream):
    Dream.objects.filter(id=dream.id).update(status=DreamStatus.RUNNING)  # as if still writing changes
    for action in ("approve", "reject"):
        with pytest.raises(anthropic.ConflictError) as caught:
            post(client, f"/v1/dreams/{dream.id}/proposal/{action}")
        assert "still running" in str(caught.value)
    assert not ProposedChange.objects.filter(proposal__dream_id=dream.id).exclude(review_state="pending").exists()
    Dream.objects.filter(id=dream.id).update(status=DreamStatus.COMPLETED)
    assert post(client, f"/v1/dreams/{dream.id}/proposal/approve")["status"] == "applied"


def test_a_budget_beyond_what_a_counter_holds_is_a_400(client, fleet):
    with pytest.raises(anthropic.BadRequestError) as caught:
        create(client, fleet, extra_body={"budget_tokens": 10**30})
    assert "budget_tokens" in str(caught.value)


def test_an_impossible_date_in_the_session_filter_is_a_400(client, fleet):
    with pytest.raises(anthropic.BadRequestError) as caught:
        create(client, fleet, inputs=[{"type": "memory_store", "memory_store_id": fleet.id}],
               extra_body={"session_filter": {"created_after": "2026-13-45T10:00:00Z"}})
    assert "created_after" in str(caught.value)
