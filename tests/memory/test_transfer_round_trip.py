"""`manage.py import_store DIR --name NAME` then `manage.py export_store STORE_ID DIR`: the same bytes back."""

import io
import unicodedata
from pathlib import Path

from django.core.management import call_command

from memory.models import Memory, MemoryStore, MemoryVersion

FILES = {
    "README.md": "# Ops\n",
    "empty.md": "",
    "runbooks/deploy.md": "1. Build\r\n2. Ship\r\n",  # CRLF kept as it is
    "runbooks/no-newline-at-end.md": "last line",
    "notes/café.md": "crème brûlée ✓ 🚀\n",
    "日本語/メモ.md": "こんにちは\n",
    "bom.txt": "\ufeffstarts with a byte-order mark\n",
    "a/b/c/d/e/deep.md": "  trailing spaces  \n\n\n",
    ".hidden/dotfile": "kept too\n",
    "tabs and spaces.md": "\tindented\n",
}


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_tree(root: Path, files: dict) -> Path:
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8"))
    return root


def read_tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_it_round_trips_a_tree_byte_for_byte(workspace, tmp_path):
    source = write_tree(tmp_path / "source", FILES)

    out, err = run("import_store", str(source), "--name", "ops", "--workspace", workspace.name)
    store_id = out.strip().splitlines()[-1]
    run("export_store", store_id, str(tmp_path / "exported"))

    assert read_tree(tmp_path / "exported") == read_tree(source)
    assert "Imported 10 memories" in err


def test_it_makes_one_memory_per_file_at_slash_relative_path(workspace, tmp_path):
    source = write_tree(tmp_path / "source", FILES)

    out, _ = run("import_store", str(source), "--name", "ops", "--workspace", workspace.name)

    store = MemoryStore.objects.get(pk=out.strip())
    assert store.workspace_id == workspace.id
    assert store.name == "ops"
    assert store.memory_count == len(FILES)
    memories = {m.path: bytes(m.blob.data) for m in Memory.objects.filter(store=store).select_related("blob")}
    assert memories == {"/" + k: v.encode("utf-8") for k, v in FILES.items()}
    assert MemoryVersion.objects.filter(store=store, operation="created").count() == len(FILES)


def test_it_round_trips_an_empty_directory_as_an_empty_store(workspace, tmp_path):
    (tmp_path / "nothing").mkdir()

    out, _ = run("import_store", str(tmp_path / "nothing"), "--name", "blank", "--workspace", workspace.name)
    run("export_store", out.strip(), str(tmp_path / "out"))

    assert MemoryStore.objects.get(pk=out.strip()).memory_count == 0
    assert list((tmp_path / "out").iterdir()) == []


def test_it_exports_what_the_api_wrote(admin, tmp_path):
    store = admin.beta.memory_stores.create(name="api")
    nfc = unicodedata.normalize("NFC", "/déjà/vu.md")
    for path, content in {"/a.md": "A", nfc: "vu\n", "/z/empty.md": ""}.items():
        admin.beta.memory_stores.memories.create(store.id, path=path, content=content)

    run("export_store", store.id, str(tmp_path / "out"))

    assert read_tree(tmp_path / "out") == {"a.md": b"A", "déjà/vu.md": b"vu\n", "z/empty.md": b""}
