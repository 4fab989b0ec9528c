"""What `import_store` and `export_store` refuse, and that a refusal writes nothing."""

import io
import os
import unicodedata

import pytest
from django.core.management import CommandError, call_command

from memory import store as memory_store
from memory import stores
from memory.access import Actor
from memory.models import Memory, MemoryStore


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(command, *args) -> str:
    with pytest.raises(CommandError) as caught:
        run(command, *args)
    return str(caught.value)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "good").mkdir(parents=True)
    (root / "good" / "ok.md").write_text("fine\n")
    return root


def test_it_refuses_a_tree_with_files_that_cannot_be_memories_and_lists_them_all(workspace, tree):
    (tree / "latin1.md").write_bytes("café".encode("latin-1"))
    (tree / unicodedata.normalize("NFD", "décomposé.md")).write_text("nfd name\n")
    (tree / "bell\x07.md").write_text("control character\n")
    (tree / "..." ).write_text("a name the path rules allow\n")

    message = refused("import_store", str(tree), "--name", "ops", "--workspace", workspace.name)

    assert "3 problems; nothing was written" in message
    assert "latin1.md: is not UTF-8 text (invalid byte at offset 3)" in message
    assert "must be in Unicode NFC form" in message
    assert "must not contain control or format characters (found U+0007)" in message
    assert not MemoryStore.objects.exists()
    assert not Memory.objects.exists()


def test_it_refuses_file_names_that_are_not_utf8(workspace, tree):
    os.makedirs(tree, exist_ok=True)
    with open(os.path.join(os.fsencode(tree), b"bad-\xff.md"), "wb") as handle:
        handle.write(b"content\n")

    message = refused("import_store", str(tree), "--name", "ops", "--workspace", workspace.name)

    assert "bad-\\xff.md: the file name is not UTF-8" in message
    assert not MemoryStore.objects.exists()


def test_it_refuses_files_over_the_memory_size_limit(workspace, tree, settings):
    settings.REVERIE_MAX_MEMORY_BYTES = 10
    (tree / "big.md").write_text("x" * 11)

    message = refused("import_store", str(tree), "--name", "ops", "--workspace", workspace.name)

    assert "big.md: is 11 bytes; a memory holds at most 10 bytes" in message
    assert not MemoryStore.objects.exists()


def test_it_refuses_more_files_than_a_store_holds(workspace, tree, settings):
    settings.REVERIE_MAX_MEMORIES_PER_STORE = 2
    for name in ("a", "b"):
        (tree / f"{name}.md").write_text(name)

    message = refused("import_store", str(tree), "--name", "ops", "--workspace", workspace.name)

    assert "holds 3 files; a memory store holds at most 2 memories" in message
    assert not MemoryStore.objects.exists()


def test_it_refuses_symbolic_links(workspace, tree):
    (tree / "link.md").symlink_to(tree / "good" / "ok.md")

    message = refused("import_store", str(tree), "--name", "ops", "--workspace", workspace.name)

    assert "link.md: is a symbolic link" in message
    assert not MemoryStore.objects.exists()


def test_it_refuses_a_missing_directory(workspace, tmp_path):
    message = refused("import_store", str(tmp_path / "nope"), "--name", "ops", "--workspace", workspace.name)

    assert "is not a directory" in message


def test_it_refuses_an_invalid_store_name(workspace, tree):
    message = refused("import_store", str(tree), "--name", "", "--workspace", workspace.name)

    assert "`name` must be 1 to 255 characters" in message
    assert not MemoryStore.objects.exists()


def test_it_exports_only_into_a_missing_or_empty_directory(workspace, tmp_path):
    store = stores.create_store(workspace=workspace, name="ops")
    memory_store.create_memory(store=store, path="/a.md", content="A", actor=Actor())
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")

    message = refused("export_store", store.id, str(occupied))

    assert "is not an empty directory" in message
    assert sorted(p.name for p in occupied.iterdir()) == ["keep.txt"]
    (tmp_path / "empty").mkdir()
    run("export_store", store.id, str(tmp_path / "empty"))
    assert (tmp_path / "empty" / "a.md").read_bytes() == b"A"


def test_it_refuses_a_store_that_files_cannot_hold_and_writes_nothing(workspace, tmp_path):
    store = stores.create_store(workspace=workspace, name="ops")
    for path in ("/a", "/a/b.md", "/ok.md"):
        memory_store.create_memory(store=store, path=path, content=path, actor=Actor())

    message = refused("export_store", store.id, str(tmp_path / "out"))

    assert "/a is both a memory and a folder of /a/b.md" in message
    assert not (tmp_path / "out").exists()


def test_it_refuses_an_unknown_store(transactional_db, tmp_path):
    assert "not found" in refused("export_store", "memstore_nope", str(tmp_path / "out"))
