"""Session export files and how to find them.

An export is `{"session": {...}, "events": [...]}` as `sessions.retrieve` and
`sessions.events.list` return them. A `.json` file holds one export or an array of
them; a `.jsonl` file holds one export per line. `detect_format` tells them from
Codex rollouts, OpenHands event logs and Claude Code transcripts by content, not by
name. Export files are read strictly: a file that is not UTF-8 JSON fails as a whole;
a malformed array item or line fails alone, naming its position.
"""

import json
from pathlib import Path
from typing import Iterator

from dreams.importers import ImportFailed, SessionImport, loads

EXPORT = "export"
CLAUDE_CODE = "claude-code"
CODEX = "codex"
OPENHANDS = "openhands"
SUFFIXES = (".json", ".jsonl")


def find_files(paths) -> Iterator[Path]:
    """Files named on the command line, and every *.json / *.jsonl under directories, sorted."""
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        else:
            yield path


def detect_format(path: Path) -> str:
    """What a file holds, judged by its content: the shape of a .json, the first JSON line of a .jsonl."""
    if path.suffix != ".jsonl":
        from dreams.importers import openhands

        try:
            data = loads(path.read_bytes().decode("utf-8-sig"))
        except (OSError, ValueError):
            return EXPORT  # reading it again reports the problem
        return OPENHANDS if openhands.looks_like_events(data) else EXPORT
    try:
        with path.open("rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    first = json.loads(line)
                except ValueError:
                    continue
                return _jsonl_format(first)
    except OSError:
        return EXPORT  # reading it again reports the problem
    return CLAUDE_CODE


def _jsonl_format(first) -> str:
    """What a .jsonl file holds, judged by its first JSON line."""
    from dreams.importers import codex, openhands

    if isinstance(first, dict) and "session" in first and "events" in first:
        return EXPORT
    if codex.looks_like_rollout(first):
        return CODEX
    if openhands.looks_like_events(first):
        return OPENHANDS
    return CLAUDE_CODE


def read_export_file(path: Path, *, agent_name: str | None = None) -> Iterator[SessionImport]:
    """The sessions in one export file. Raises ImportFailed when the file cannot be read at all."""
    text = _read_text(path)
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            source = f"{path}:{number}"
            try:
                yield SessionImport(source=source, data=loads(line), agent_name=agent_name)
            except ValueError as exc:
                yield SessionImport(source=source, data=None, error=f"invalid JSON: {exc}")
        return
    try:
        data = loads(text)
    except ValueError as exc:
        raise ImportFailed(f"{path}: invalid JSON: {exc}") from None
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield SessionImport(source=f"{path}[{index}]", data=item, agent_name=agent_name)
    elif isinstance(data, dict):
        yield SessionImport(source=str(path), data=data, agent_name=agent_name)
    else:
        raise ImportFailed(f'{path}: expected an object {{"session": {{...}}, "events": [...]}} or an array of them.')


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed(f"{path}: no such file or directory.") from None
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot be read: {exc.strerror or exc}.") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text (byte {exc.start}).") from None
