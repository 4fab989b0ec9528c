"""Memory stores to and from directory trees of UTF-8 text files.

A file at `DIR/a/b.md` is the memory `/a/b.md`; its bytes are the memory's UTF-8
content exactly (no newline or Unicode normalisation), so export → import → export
gives the same bytes, empty files and non-ASCII names included.

Both directions check everything before writing anything. An import with any file
that cannot be a memory (not UTF-8, a path the memory rules refuse, too big, a
symbolic link, too many files) is refused as a whole with every problem listed:
a store silently missing files would be worse than fixing or removing them and
running again. An export refuses a non-empty directory, and a store the file
system cannot hold (a memory `/a` beside `/a/b`, a name segment over 255 bytes).
Empty directories have no memory to become and are not recreated.
"""

import os
from pathlib import Path

from django.conf import settings
from django.db import transaction

from memory import paths, stores
from memory import store as memory_store
from memory.access import Actor
from memory.errors import InvalidRequest
from memory.models import Memory, MemoryStore, Workspace

MAX_PROBLEMS_SHOWN = 50
MAX_SEGMENT_BYTES = 255  # the usual file-name limit (ext4, APFS, NTFS)


def scan_directory(root: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Every file under `root` as (memory path, content), in path order, and the problems found."""
    if not root.is_dir():
        return [], [f"{root} is not a directory."]
    files, problems = [], []
    limit = settings.REVERIE_MAX_MEMORY_BYTES
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = Path(directory) / name
            relative = full.relative_to(root).as_posix()
            shown = os.fsencode(relative).decode("utf-8", "backslashreplace")
            if full.is_symlink():
                problems.append(f"{shown}: is a symbolic link; copy the file or folder instead.")
                continue
            if name in dirnames:
                continue
            if not full.is_file():
                problems.append(f"{shown}: is not a regular file.")
                continue
            try:
                relative.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(f"{shown}: the file name is not UTF-8.")
                continue
            path = "/" + relative
            try:
                paths.validate_path(path, field="path")
            except InvalidRequest as exc:
                problems.append(f"{shown}: {exc.message.replace('`path` ', 'its memory path ')}")
                continue
            data = full.read_bytes()
            if len(data) > limit:
                problems.append(f"{shown}: is {len(data)} bytes; a memory holds at most {limit} bytes.")
                continue
            try:
                files.append((path, data.decode("utf-8")))
            except UnicodeDecodeError as exc:
                problems.append(f"{shown}: is not UTF-8 text (invalid byte at offset {exc.start}).")
    most = settings.REVERIE_MAX_MEMORIES_PER_STORE
    if len(files) > most:
        problems.append(f"{root} holds {len(files)} files; a memory store holds at most {most} memories.")
    files.sort()
    return files, problems


def import_directory(*, workspace: Workspace, root: Path, name: str, actor: Actor | None = None,
                     description=None) -> MemoryStore:
    """A new store holding every file under `root`, or InvalidRequest listing every problem (nothing written)."""
    files, problems = scan_directory(root)
    if problems:
        raise InvalidRequest(_problem_list(f"{root} cannot be imported as it is", problems))
    actor = actor or Actor()
    with transaction.atomic():
        store = stores.create_store(workspace=workspace, name=name, description=description)
        for path, content in files:
            memory_store.create_memory(store=store, path=path, content=content, actor=actor)
    store.refresh_from_db()
    return store


def export_store(*, store: MemoryStore, root: Path) -> int:
    """Write every memory of `store` under `root` (missing or empty). Returns the number of files written."""
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InvalidRequest(f"{root} is not an empty directory; export into a new or empty one.")
    all_paths = list(Memory.objects.filter(store=store).order_by("path").values_list("path", flat=True))
    problems = _unwritable(all_paths)
    if problems:
        raise InvalidRequest(_problem_list(f"Memory store {store.id} cannot be written as files", problems))
    root.mkdir(parents=True, exist_ok=True)
    written = 0
    for memory in Memory.objects.filter(store=store).select_related("blob").order_by("path").iterator(chunk_size=100):
        target = root.joinpath(*memory.path[1:].split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bytes(memory.blob.data))
        written += 1
    return written


def _unwritable(all_paths: list[str]) -> list[str]:
    problems = []
    as_folders = {path + "/" for path in all_paths}
    for path in all_paths:
        for end in range(1, len(path)):
            if path[end] == "/" and path[:end + 1] in as_folders:
                problems.append(f"{path[:end]} is both a memory and a folder of {path}.")
                break
        for segment in path[1:].split("/"):
            if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
                problems.append(f"{path}: the name {segment[:40]!r}… is over {MAX_SEGMENT_BYTES} bytes.")
                break
    return problems


def _problem_list(heading: str, problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    more = len(problems) - len(shown)
    lines = [f"{heading} ({len(problems)} problem{'s' if len(problems) != 1 else ''}; nothing was written):"]
    lines += [f"  {p}" for p in shown]
    if more:
        lines.append(f"  … and {more} more.")
    return "\n".join(lines)

