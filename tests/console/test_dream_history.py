"""A store's dream history: newest first, paged, with who started each and its change counts."""

from dreams import runner
from dreams.models import Dream
from memory import stores
from tests.console.test_review import finished_dream, memories, scripted, sessions, start_dream  # noqa: F401


def url(workspace, store):
    return f"/w/{workspace.id}/stores/{store.id}/dreams/"


def test_it_lists_the_stores_dreams_newest_first_with_counts(vic_viewer, olga_operator, workspace, store, memories,
                                                             sessions, scripted):
    done = finished_dream(workspace, store, sessions, model=scripted)
    olga_operator.post(f"{url(workspace, store)}{done.id}/approve", {"scope": "all"})
    waiting = start_dream(workspace, store, sessions, model=scripted)
    elsewhere = start_dream(workspace, stores.create_store(workspace=workspace, name="other"), sessions,
                            model=scripted)

    r = vic_viewer.get(url(workspace, store))

    assert r.status_code == 200
    body = r.content.decode()
    assert body.index(waiting.id) < body.index(done.id)
    assert elsewhere.id not in body
    assert f'href="{url(workspace, store)}{done.id}"' in body
    row = body[body.index(done.id):].split("</tr>")[0]
    assert "status-completed" in row and "user_fixture" in row and ">4</td>" in row  # 4 proposed, 4 applied
    assert row.count('<td class="num">4</td>') == 2 and "Applied" in row
    assert 'aria-current="page">Dreams</a>' in body
    assert "New dream" not in body  # viewers start nothing


def test_it_names_the_console_user_who_started_a_dream(olga_operator, workspace, store, memories, sessions):
    r = olga_operator.post(f"{url(workspace, store)}new", {"mode": "selected", "session_ids": [sessions[0].id],
                                                           "model": "reverie-offline", "max_sessions": "100"})
    assert r.status_code == 302
    body = olga_operator.get(url(workspace, store)).content.decode()
    assert "olga" in body and "console" in body


def test_it_pages_and_serves_the_next_page_as_a_fragment(olga_operator, workspace, store, sessions, scripted,
                                                         django_assert_max_num_queries):
    made = [start_dream(workspace, store, sessions, model=scripted).id for _ in range(27)]
    with django_assert_max_num_queries(12):  # no query per row
        r = olga_operator.get(url(workspace, store))
    body = r.content.decode()
    assert sum(d in body for d in made) == 25
    next_link = body.split('class="next" href="')[1].split('"')[0].replace("&amp;", "&")
    r = olga_operator.get(next_link, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert body.lstrip().startswith('<section id="history">') and "<html" not in body
    assert sum(d in body for d in made) == 2 and made[0] in body


def test_it_refuses_a_bad_page_cursor(olga_operator, workspace, store):
    r = olga_operator.get(url(workspace, store) + "?page=nonsense")
    assert r.status_code == 400
    assert b"not a valid page cursor" in r.content


def test_it_says_when_there_are_no_dreams(olga_operator, workspace, store):
    r = olga_operator.get(url(workspace, store))
    assert r.status_code == 200 and b"No dreams yet." in r.content


def test_it_hides_other_workspaces(olga_operator, other_workspace, foreign_store):
    assert olga_operator.get(url(other_workspace, foreign_store)).status_code == 404


def test_it_requires_login(client, workspace, store):
    r = client.get(url(workspace, store))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_a_dream_the_worker_finished_shows_its_counts(olga_operator, workspace, store, memories, sessions, scripted):
    dream = start_dream(workspace, store, sessions, model=scripted, output_behavior="update_existing")
    assert runner.run_dream(dream.id) == "completed"  # update_existing applies at completion
    body = olga_operator.get(url(workspace, store)).content.decode()
    row = body[body.index(dream.id):].split("</tr>")[0]
    assert row.count('<td class="num">4</td>') == 2
    assert Dream.objects.get(pk=dream.pk).proposal.status == "applied"
