"""POST …/dreams/<dream>/rerun: a new dream with the same inputs and settings."""

from dreams.models import Dream
from memory.stores import archive_store
from tests.console.test_review import dream, memories, page, scripted, sessions  # noqa: F401 (fixtures)


def test_it_starts_a_new_dream_with_the_same_settings(olga_operator, workspace, store, dream):
    r = olga_operator.post(page(workspace, store, dream) + "/rerun")
    assert r.status_code == 302
    again = Dream.objects.exclude(pk=dream.pk).get()
    assert r["Location"] == page(workspace, store, again)
    assert again.trigger == "rerun" and again.status == "pending"
    assert (again.input_store_id, again.session_ids, again.model_id, again.output_behavior) == (
        dream.input_store_id, dream.session_ids, dream.model_id, dream.output_behavior)


def test_the_page_offers_it_to_operators_only(olga_operator, vic_viewer, workspace, store, dream):
    assert b"Dream again" in olga_operator.get(page(workspace, store, dream)).content
    assert b"Dream again" not in vic_viewer.get(page(workspace, store, dream)).content


def test_viewers_cannot_rerun(vic_viewer, workspace, store, dream):
    assert vic_viewer.post(page(workspace, store, dream) + "/rerun").status_code == 403
    assert Dream.objects.count() == 1


def test_a_refused_rerun_says_why_and_starts_nothing(olga_operator, workspace, store, dream):
    archive_store(store=store)
    r = olga_operator.post(page(workspace, store, dream) + "/rerun")
    assert r.status_code == 400 and b"archived" in r.content
    assert Dream.objects.count() == 1
