"""GET /v1/memory_stores (memory_stores.list): newest first, cursor pages."""

import anthropic
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from memory import stores
from memory.models import MemoryStore


def _make_stores(workspace, count, prefix="s"):
    return [stores.create_store(workspace=workspace, name=f"{prefix}{i:03d}") for i in range(count)]


def _newest_first(workspace, *, include_archived=False):
    rows = MemoryStore.objects.filter(workspace=workspace)
    if not include_archived:
        rows = rows.filter(archived_at__isnull=True)
    return [s.id for s in sorted(rows, key=lambda s: (s.created_at, s.id), reverse=True)]


def test_it_lists_stores_newest_first(admin):
    first = admin.beta.memory_stores.create(name="first")
    second = admin.beta.memory_stores.create(name="second")
    third = admin.beta.memory_stores.create(name="third")

    page = admin.beta.memory_stores.list()

    assert [s.id for s in page.data] == [third.id, second.id, first.id]
    assert page.next_page is None
    assert page.data[0].model_dump() == third.model_dump()


def test_it_hides_archived_stores_unless_asked(admin, workspace):
    live, archived = _make_stores(workspace, 2)
    stores.archive_store(store=archived)

    default = admin.beta.memory_stores.list()
    excluded = admin.beta.memory_stores.list(include_archived=False)
    included = admin.beta.memory_stores.list(include_archived=True)

    assert [s.id for s in default.data] == [live.id]
    assert [s.id for s in excluded.data] == [live.id]
    assert [s.id for s in included.data] == _newest_first(workspace, include_archived=True)
    assert {s.id for s in included.data} == {live.id, archived.id}
    assert next(s for s in included.data if s.id == archived.id).archived_at is not None


def test_it_filters_by_created_at_inclusively(admin):
    first = admin.beta.memory_stores.create(name="first")
    second = admin.beta.memory_stores.create(name="second")
    third = admin.beta.memory_stores.create(name="third")

    exactly = admin.beta.memory_stores.list(created_at_gte=second.created_at, created_at_lte=second.created_at)
    since = admin.beta.memory_stores.list(created_at_gte=second.created_at)
    until = admin.beta.memory_stores.list(created_at_lte=second.created_at)

    assert [s.id for s in exactly.data] == [second.id]
    assert [s.id for s in since.data] == [third.id, second.id]
    assert [s.id for s in until.data] == [second.id, first.id]


def test_it_accepts_rfc3339_strings_with_z_and_without_offset(admin):
    admin.beta.memory_stores.create(name="only")

    with_z = admin.beta.memory_stores.list(created_at_gte="2000-01-01T00:00:00Z")
    naive = admin.beta.memory_stores.list(created_at_gte="2000-01-01T00:00:00")
    future = admin.beta.memory_stores.list(created_at_gte="2999-01-01T00:00:00Z")

    assert len(with_z.data) == 1
    assert len(naive.data) == 1
    assert future.data == []


def test_it_rejects_a_malformed_created_at(admin):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.list(created_at_gte="yesterday")


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_it_rejects_a_limit_outside_1_to_100(admin, limit):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.list(limit=limit)

    assert caught.value.status_code == 400


def test_it_accepts_limits_1_and_100(admin, workspace):
    _make_stores(workspace, 3)

    one = admin.beta.memory_stores.list(limit=1)
    hundred = admin.beta.memory_stores.list(limit=100)

    assert len(one.data) == 1
    assert one.next_page
    assert len(hundred.data) == 3
    assert hundred.next_page is None


def test_it_defaults_to_pages_of_20(admin, workspace):
    _make_stores(workspace, 21)

    page = admin.beta.memory_stores.list()

    assert len(page.data) == 20
    assert page.next_page


def test_it_pages_through_every_store_once(admin, workspace):
    _make_stores(workspace, 23)
    expected = _newest_first(workspace)

    page = admin.beta.memory_stores.list(limit=4)
    pages = [page]
    while page.has_next_page():
        page = page.get_next_page()
        pages.append(page)

    assert len(pages) == 6
    assert [len(p.data) for p in pages] == [4, 4, 4, 4, 4, 3]
    assert pages[-1].next_page is None
    assert [s.id for p in pages for s in p.data] == expected


def test_it_auto_paginates_with_for(admin, workspace):
    _make_stores(workspace, 11)
    expected = _newest_first(workspace)

    seen = [s.id for s in admin.beta.memory_stores.list(limit=3)]

    assert seen == expected


def test_it_keeps_filters_across_pages(admin, workspace):
    made = _make_stores(workspace, 9)
    for archived in made[::2]:
        stores.archive_store(store=archived)

    live = [s.id for s in admin.beta.memory_stores.list(limit=2)]
    everything = [s.id for s in admin.beta.memory_stores.list(limit=2, include_archived=True)]

    assert live == _newest_first(workspace)
    assert len(live) == 4
    assert everything == _newest_first(workspace, include_archived=True)
    assert len(everything) == 9


@pytest.mark.parametrize("cursor", ["garbage!", "eyJzIjoibm9wZSJ9", "bm90IGpzb24"])
def test_it_rejects_an_invalid_page_cursor(admin, workspace, cursor):
    _make_stores(workspace, 2)

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.list(page=cursor)

    assert caught.value.status_code == 400


def test_it_lists_only_the_callers_workspace(admin, outsider, store, other_workspace):
    theirs = stores.create_store(workspace=other_workspace, name="theirs")

    mine = [s.id for s in admin.beta.memory_stores.list()]
    others = [s.id for s in outsider.beta.memory_stores.list()]

    assert mine == [store.id]
    assert others == [theirs.id]


def test_it_tolerates_a_stray_beta_query_param(admin, store):
    page = admin.beta.memory_stores.list(extra_query={"beta": "true"})

    assert [s.id for s in page.data] == [store.id]


def test_it_costs_the_same_queries_whatever_the_number_of_stores(client, workspace, admin_key):
    headers = {"Authorization": f"Bearer {admin_key.secret}"}
    _make_stores(workspace, 3, prefix="few")
    client.get("/v1/memory_stores", headers=headers)  # first use records last_used_at: a write we do not count

    with CaptureQueriesContext(connection) as few:
        response = client.get("/v1/memory_stores?limit=20", headers=headers)
    assert response.status_code == 200
    assert len(response.json()["data"]) == 3

    _make_stores(workspace, 40, prefix="many")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/v1/memory_stores?limit=20", headers=headers)
    assert response.status_code == 200
    assert len(response.json()["data"]) == 20

    assert len(many) == len(few)
    assert len(many) <= 3
