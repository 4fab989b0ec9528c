"""GET /w/<ws>/stores/<store>/memories/<memory>/compare?a=…&b=…: the diff between two versions."""

from memory.access import Actor
from memory.store import create_memory, delete_memory, update_memory
from memory.versions import redact_version

ACTOR = Actor(user_id="user_x")


def _url(workspace, store, memory_id):
    return f"/w/{workspace.id}/stores/{store.id}/memories/{memory_id}/compare"


def _versions(store, note):
    v1 = note.head_version_id
    v2 = update_memory(store=store, memory_id=note.id, actor=ACTOR,
                       content="# DB\n\nRestart with great care.").head_version_id
    v3 = update_memory(store=store, memory_id=note.id, actor=ACTOR, content="# DB\n\nNever restart.").head_version_id
    return v1, v2, v3


def test_it_diffs_any_two_versions_inline(vic_viewer, workspace, store, note):
    v1, _, v3 = _versions(store, note)
    r = vic_viewer.get(_url(workspace, store, note.id), {"a": v1, "b": v3})
    assert r.status_code == 200
    body = r.content.decode()
    assert "diff-inline" in body
    assert "<del>Restart</del>" in body and "<ins>Never</ins>" in body


def test_it_diffs_side_by_side(vic_viewer, workspace, store, note):
    v1, v2, _ = _versions(store, note)
    r = vic_viewer.get(_url(workspace, store, note.id), {"a": v1, "b": v2, "mode": "side"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "diff-side" in body and "<ins>great </ins>" in body
    assert "mode=inline" in body  # the toggle back


def test_it_puts_the_older_version_first_whichever_way_round(vic_viewer, workspace, store, note):
    v1, v2, _ = _versions(store, note)
    r = vic_viewer.get(_url(workspace, store, note.id), {"a": v2, "b": v1})
    assert r.status_code == 200
    assert r.context["old"].id == v1 and r.context["new"].id == v2
    assert b"<ins>great </ins>" in r.content


def test_without_a_it_compares_with_the_previous_version(vic_viewer, workspace, store, note):
    _, v2, v3 = _versions(store, note)
    r = vic_viewer.get(_url(workspace, store, note.id), {"b": v3})
    assert r.status_code == 200
    assert r.context["old"].id == v2


def test_the_first_version_compares_with_nothing(vic_viewer, workspace, store, note):
    r = vic_viewer.get(_url(workspace, store, note.id), {"b": note.head_version_id})
    assert r.status_code == 200
    assert r.context["old"] is None
    assert b"Restart with care." in r.content


def test_a_deletion_compares_as_empty(vic_viewer, workspace, store, note):
    deleted = delete_memory(store=store, memory_id=note.id, actor=ACTOR)
    r = vic_viewer.get(_url(workspace, store, note.id), {"b": deleted.deleted_version_id})
    assert r.status_code == 200
    assert r.context["diff"].removed == 3


def test_redacted_versions_show_no_content(vic_viewer, workspace, store, note):
    v1, v2, _ = _versions(store, note)
    redact_version(store=store, version_id=v1, actor=ACTOR)
    r = vic_viewer.get(_url(workspace, store, note.id), {"a": v1, "b": v2})
    assert r.status_code == 200
    assert r.context["diff"] is None
    assert b"was redacted" in r.content
    assert b"Restart with care" not in r.content


def test_it_escapes_both_sides(vic_viewer, workspace, store, writer_actor):
    memory = create_memory(store=store, path="/x.md", content="<script>alert(1)</script>", actor=writer_actor)
    v2 = update_memory(store=store, memory_id=memory.id, actor=ACTOR,
                       content="<img src=x onerror=alert(1)> javascript:alert(1)").head_version_id
    for mode in ("inline", "side"):
        r = vic_viewer.get(_url(workspace, store, memory.id), {"a": memory.head_version_id, "b": v2, "mode": mode})
        assert r.status_code == 200
        assert b"<script>alert(1)" not in r.content and b"<img src=x" not in r.content
        assert b"<del>script&gt;</del>" in r.content and b"<ins>img src=x onerror=</ins>" in r.content


def test_missing_versions_are_a_400(vic_viewer, workspace, store, note):
    r = vic_viewer.get(_url(workspace, store, note.id))
    assert r.status_code == 400
    assert b"Choose two versions" in r.content


def test_unknown_versions_are_a_404(vic_viewer, workspace, store, note):
    r = vic_viewer.get(_url(workspace, store, note.id), {"a": "memver_nope", "b": note.head_version_id})
    assert r.status_code == 404
    r = vic_viewer.get(_url(workspace, store, note.id), {"b": "<script>"})
    assert r.status_code == 404


def test_a_version_of_another_memory_is_a_404(vic_viewer, workspace, store, note, writer_actor):
    other = create_memory(store=store, path="/other.md", content="other", actor=writer_actor)
    r = vic_viewer.get(_url(workspace, store, note.id), {"a": other.head_version_id, "b": note.head_version_id})
    assert r.status_code == 404


def test_a_version_of_another_store_is_a_404(vic_viewer, workspace, store, note, foreign_store, writer_actor):
    foreign = create_memory(store=foreign_store, path="/x.md", content="secret", actor=writer_actor)
    r = vic_viewer.get(_url(workspace, store, note.id), {"a": foreign.head_version_id, "b": note.head_version_id})
    assert r.status_code == 404
    r = vic_viewer.get(_url(workspace, store, foreign.id), {"b": foreign.head_version_id})
    assert r.status_code == 404


def test_another_workspace_is_a_404(alice_admin, other_workspace, foreign_store, writer_actor):
    foreign = create_memory(store=foreign_store, path="/x.md", content="secret", actor=writer_actor)
    r = alice_admin.get(_url(other_workspace, foreign_store, foreign.id), {"b": foreign.head_version_id})
    assert r.status_code == 404
