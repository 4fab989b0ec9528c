"""What the agent-log importers (Codex rollouts, OpenHands event logs) share.

Those logs are read strictly: a line that is not JSON, or a record of the wrong shape,
fails the whole file with `BadRecord` naming the file and line, so nothing of it is
imported (import_session makes each file one transaction). A record of a type the
importer does not know is skipped with a warning, so a newer agent version does not
stop an import. Event ids derive from where a record sits and what it holds, so
importing the same file again recognises every event.
"""

import hashlib
import re
import uuid
from pathlib import Path

from dreams import sessions
from dreams.importers import SessionImport
from memory.errors import InvalidRequest

TITLE_LENGTH = 80
MAX_WARNINGS_PER_FILE = 20
_SURROGATES = re.compile("[\ud800-\udfff]")
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


class BadRecord(Exception):
    """A record that makes the file unreadable; `where` is "path:line" (or "path[index]")."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def read_text(path: Path) -> str:
    """The file as text; raises BadRecord when it cannot be read or is not UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadRecord(str(path), "no such file or directory.") from None
    except OSError as exc:
        raise BadRecord(str(path), f"cannot be read: {exc.strerror or exc}.") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadRecord(f"{path}:{line}", f"not UTF-8 text (byte {exc.start}).") from None


def failed(where: str, message: str) -> SessionImport:
    return SessionImport(source=where, data=None, error=message)


class Skips:
    """Warnings for records skipped in one file, capped so one odd file cannot flood the output."""

    def __init__(self, path: Path):
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, reason: str) -> None:
        """`where` is "path:line" or "path[index]"."""
        self.items.append(f"{where}: skipped: {reason}")

    def warnings(self) -> list[str]:
        shown = self.items[:MAX_WARNINGS_PER_FILE]
        if len(self.items) > len(shown):
            shown.append(f"{self.path}: … and {len(self.items) - len(shown)} more skipped records.")
        return shown


class EventIds:
    """Stable event ids: "sevt_<prefix>_" + the source's own id where it has a usable one,
    else a digest of the record's position and content. Never the same id twice in a file."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.used: set[str] = set()

    def for_record(self, key: str, *, source_id=None) -> str:
        if isinstance(source_id, (str, int)) and _SAFE_ID.fullmatch(str(source_id)):
            candidate = f"sevt_{self.prefix}_{source_id}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        candidate, n = f"sevt_{self.prefix}_{digest}", 1
        while candidate in self.used:
            candidate, n = f"sevt_{self.prefix}_{digest}_{n}", n + 1
        self.used.add(candidate)
        return candidate


def session_id_for(prefix: str, source_id: str) -> str:
    """"sesn_<prefix>_" + a uuid's 32 hex digits, or a short safe id as it is, or else a digest of it."""
    try:
        return f"sesn_{prefix}_" + uuid.UUID(source_id).hex
    except ValueError:
        pass
    if re.fullmatch(r"[A-Za-z0-9_-]{1,48}", source_id):
        return f"sesn_{prefix}_{source_id}"
    return f"sesn_{prefix}_" + hashlib.sha256(source_id.encode("utf-8", "replace")).hexdigest()[:32]


def timestamp(value, skips: Skips, where: str) -> str | None:
    """An RFC 3339 time kept as the source wrote it; anything else is dropped with a warning."""
    if value is None:
        return None
    try:
        sessions.parse_timestamp(value, field="timestamp")
    except InvalidRequest:
        skips.items.append(f"{where}: kept without a time: `timestamp` is not RFC 3339.")
        return None
    return value


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def title(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(value.split())
    if not value:
        return None
    return value if len(value) <= TITLE_LENGTH else value[: TITLE_LENGTH - 1].rstrip() + "…"


def clean(value):
    """Logs hold whatever tools printed: NUL characters and lone surrogates become U+FFFD."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value.replace("\x00", "\ufffd"))
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value
