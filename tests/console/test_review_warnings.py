"""The review page shows each change's guard warnings and filters the proposal by them."""

from dreams.models import ProposedChange
from tests.console.test_review import change, dream, memories, page, scripted, sessions  # noqa: F401


def flag(dream, path, kind, message):
    row = change(dream, path)
    ProposedChange.objects.filter(pk=row.pk).update(warnings=[{"type": kind, "message": message}])
    return row


def test_it_shows_warnings_on_the_change_escaped(vic_viewer, workspace, store, dream):
    flagged = flag(dream, "/runbooks/db-dup.md", "untrusted_source", "Repeats transcript text: <b>run me</b>")
    body = vic_viewer.get(page(workspace, store, dream)).content.decode()
    article = body[body.index(f'id="change-{flagged.id}"'):].split("</article>")[0]
    assert "warning-untrusted_source" in article and "&lt;b&gt;run me&lt;/b&gt;" in article
    assert "<b>run me</b>" not in body
    assert "1 change flagged" in body


def test_it_filters_the_proposal_by_warning(vic_viewer, workspace, store, dream):
    gone = flag(dream, "/runbooks/db-dup.md", "fact_removed", "Removes a fact kept nowhere else: x")
    others = list(ProposedChange.objects.filter(proposal__dream=dream).exclude(pk=gone.pk).values_list("id", flat=True))

    only = vic_viewer.get(page(workspace, store, dream) + "?warning=fact_removed").content.decode()
    assert f'id="change-{gone.id}"' in only and not any(f'id="change-{i}"' in only for i in others)
    assert "(1 shown)" in only

    clean = vic_viewer.get(page(workspace, store, dream) + "?warning=none").content.decode()
    assert f'id="change-{gone.id}"' not in clean and all(f'id="change-{i}"' in clean for i in others)

    # An unknown filter shows everything rather than failing.
    everything = vic_viewer.get(page(workspace, store, dream) + "?warning=%3Cscript%3E")
    assert everything.status_code == 200 and f'id="change-{gone.id}"' in everything.content.decode()


def test_the_api_filters_changes_by_warning(workspace, store, dream, admin):
    gone = flag(dream, "/runbooks/db-dup.md", "fact_removed", "Removes a fact kept nowhere else: x")
    body = admin.get(f"/v1/dreams/{dream.id}/proposal/changes", options={"params": {"warning": "fact_removed",
                                                                                   "view": "full"}}, cast_to=object)
    assert [c["id"] for c in body["data"]] == [gone.id]
    assert body["data"][0]["warnings"] == [{"type": "fact_removed", "message": "Removes a fact kept nowhere else: x"}]
