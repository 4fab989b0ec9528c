"""Dreams on a real Celery worker process, through the configured broker (the
embedded one by default, Redis on CI): completion, cancel, and a worker killed mid-run."""

import signal
import time

import pytest

from dreams.models import Dream, DreamStatus
from dreams.tasks import reap_lost_dreams
from tests.dreams.fleet import load_sre_fleet
from tests.dreams.test_dream_pipeline import create
from tests.worker import running_worker, wait_for

SLOW = {"REVERIE_EXTRA_ENGINES": "tests.engines:SlowEngine"}


@pytest.fixture
def fleet(workspace):
    return load_sre_fleet(workspace.name)


@pytest.fixture
def slow_engine(settings):
    settings.REVERIE_EXTRA_ENGINES = [SLOW["REVERIE_EXTRA_ENGINES"]]


def status(dream_id):
    return Dream.objects.get(id=dream_id).status


def test_a_dream_created_through_the_sdk_completes_on_the_worker(admin, fleet):
    with running_worker():
        created = create(admin, fleet)
        assert wait_for(lambda: status(created.id) == DreamStatus.COMPLETED, timeout=60)

    dream = admin.beta.dreams.retrieve(created.id)
    assert dream.outputs[0].memory_store_id
    assert admin.get(f"/v1/dreams/{created.id}/proposal", cast_to=object)["change_counts"]["dedup"] >= 1


def test_a_running_dream_can_be_canceled(admin, fleet, slow_engine):
    with running_worker(env=SLOW):
        created = create(admin, fleet, model="reverie-test-slow")
        assert wait_for(lambda: status(created.id) == DreamStatus.RUNNING, timeout=30)

        canceled = admin.beta.dreams.cancel(created.id)

        assert canceled.status == "canceled"
        # The engine notices at its next progress call and stops: its heartbeat goes quiet.
        time.sleep(1.5)
        quiet_since = Dream.objects.get(id=created.id).heartbeat_at
        time.sleep(2)
        dream = Dream.objects.get(id=created.id)
        assert dream.heartbeat_at == quiet_since
        assert dream.status == DreamStatus.CANCELED


def test_a_worker_killed_mid_dream_leaves_it_failed_not_running(admin, fleet, slow_engine, settings):
    settings.REVERIE_DREAM_HEARTBEAT_TIMEOUT = 3
    with running_worker(env=SLOW) as worker:
        created = create(admin, fleet, model="reverie-test-slow")
        assert wait_for(lambda: status(created.id) == DreamStatus.RUNNING, timeout=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    assert status(created.id) == DreamStatus.RUNNING
    assert wait_for(lambda: reap_lost_dreams()["failed"] == 1, timeout=15, interval=1)

    dream = admin.beta.dreams.retrieve(created.id)
    assert dream.status == "failed"
    assert dream.error.type == "worker_lost"
    assert dream.ended_at is not None
