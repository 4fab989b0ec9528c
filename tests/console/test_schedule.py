from django_celery_beat.models import PeriodicTask

from dreams import triggers
from dreams.models import DreamPolicy
from memory import stores

XSS = "<script>alert(1)</script>"


def url(workspace, store):
    return f"/w/{workspace.id}/stores/{store.id}/schedule"


def form(**changes):
    data = {"cron": "", "after_sessions": "", "min_outcome": "", "model_id": "reverie-offline",
            "output_behavior": "create_new", "instructions": ""}
    data.update(changes)
    return data


def test_it_shows_empty_schedule(vic_viewer, workspace, store):
    r = vic_viewer.get(url(workspace, store))
    assert r.status_code == 200
    assert r.context["store_section"] == "schedule"
    assert r.context["policy"] is None
    assert b'name="cron"' not in r.content  # read only
    assert b"off" in r.content


def test_it_shows_schedule_and_next_run(olga_operator, workspace, store, django_assert_max_num_queries):
    triggers.set_policy(store=store, cron="30 3 * * *", after_sessions=3, instructions="Merge duplicates.")
    with django_assert_max_num_queries(12):  # includes the first-visit UserIdentity get_or_create
        r = olga_operator.get(url(workspace, store))
    assert r.status_code == 200
    assert b"30 3 * * *" in r.content and b"every 3 sessions" in r.content and b"Merge duplicates." in r.content
    next_run = r.context["next_run"]
    assert (next_run.hour, next_run.minute) == (3, 30)
    assert b"next run" in r.content


def test_it_saves_schedule_as_admin(alice_admin, workspace, store):
    r = alice_admin.post(url(workspace, store), form(cron="0  4 * * 1-5", after_sessions="5", min_outcome="satisfied",
                                                     output_behavior="update_existing", instructions="Tidy up."))
    assert r.status_code == 302
    assert r["Location"] == url(workspace, store)
    policy = DreamPolicy.objects.get(store=store)
    assert (policy.cron, policy.after_sessions, policy.min_outcome) == ("0 4 * * 1-5", 5, "satisfied")
    assert (policy.output_behavior, policy.instructions, policy.model_id) == ("update_existing", "Tidy up.",
                                                                              "reverie-offline")
    task = PeriodicTask.objects.get(pk=policy.periodic_task_id)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "4", "1-5")
    page = alice_admin.get(url(workspace, store))
    assert b'value="0 4 * * 1-5"' in page.content and b'value="5"' in page.content


def test_it_turns_triggers_off(alice_admin, workspace, store):
    triggers.set_policy(store=store, cron="0 * * * *", after_sessions=2)
    r = alice_admin.post(url(workspace, store), form())
    assert r.status_code == 302
    policy = DreamPolicy.objects.get(store=store)
    assert policy.cron is None and policy.after_sessions is None and policy.periodic_task_id is None
    assert not PeriodicTask.objects.filter(name=f"dream schedule for {store.id}").exists()


def test_it_rejects_bad_cron(alice_admin, workspace, store):
    triggers.set_policy(store=store, cron="0 * * * *")
    for cron in ("every day", "99 * * * *", "* * * * * *"):
        r = alice_admin.post(url(workspace, store), form(cron=cron))
        assert r.status_code == 400, cron
        assert b'role="alert"' in r.content and b"cron" in r.content
        assert f'value="{cron}"'.encode() in r.content  # what was typed stays in the form
    policy = DreamPolicy.objects.get(store=store)
    assert policy.cron == "0 * * * *"


def test_it_rejects_bad_numbers_and_choices(alice_admin, workspace, store):
    for bad in (form(after_sessions="0"), form(after_sessions="many"), form(after_sessions="101"),
                form(output_behavior="overwrite"), form(min_outcome="great"), form(model_id="gpt-9"),
                form(instructions="x" * 100_000)):
        r = alice_admin.post(url(workspace, store), bad)
        assert r.status_code == 400, bad
        assert b'role="alert"' in r.content
    assert not DreamPolicy.objects.filter(store=store).exists()


def test_it_refuses_archived_store(alice_admin, workspace, store):
    stores.archive_store(store=store)
    r = alice_admin.post(url(workspace, store), form(cron="0 * * * *"))
    assert r.status_code == 400
    assert not DreamPolicy.objects.exists()


def test_it_forbids_operator_and_viewer(olga_operator, vic_viewer, workspace, store):
    for client in (olga_operator, vic_viewer):
        assert client.post(url(workspace, store), form(cron="0 * * * *")).status_code == 403
    assert not DreamPolicy.objects.exists()


def test_it_404s_another_workspace_store(alice_admin, workspace, foreign_store):
    assert alice_admin.get(url(workspace, foreign_store)).status_code == 404
    assert alice_admin.post(url(workspace, foreign_store), form(cron="0 * * * *")).status_code == 404
    assert not DreamPolicy.objects.exists()


def test_it_escapes_instructions_and_store_name(alice_admin, vic_viewer, workspace):
    store = stores.create_store(workspace=workspace, name=XSS)
    triggers.set_policy(store=store, instructions=XSS)
    for client in (alice_admin, vic_viewer):
        r = client.get(url(workspace, store))
        assert r.status_code == 200
        assert XSS.encode() not in r.content and b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.content
