"""The dreamer's working copy of the store, behind the SDK's memory tool (`memory_20250818`).

The model edits an in-memory copy with the command set it was trained on (view, create,
str_replace, insert, delete, rename) under `/memories`, which maps to the store's `/`.
Nothing touches the store: the proposal is the diff of this copy against the base. Messages
and rules follow the SDK's reference implementation (BetaLocalFilesystemMemoryTool), so a model
reads what it expects; refusals raise ToolError and reach the model as tool errors.
"""

from dataclasses import dataclass

from anthropic.lib.tools import BetaAbstractMemoryTool, ToolError

from dreams.engines.base import BaseMemory, Change
from memory import paths
from memory.errors import InvalidRequest

ROOT = "/memories"
LINE_NUMBER_WIDTH = 6
MAX_VIEW_CHARS = 40_000  # a view of a huge file is cut; view_range reads the rest


@dataclass
class Entry:
    content: str
    memory_id: str | None  # the base memory it continues (a create has none)


class WorkingCopy(BetaAbstractMemoryTool):
    def __init__(self, base: list[BaseMemory], *, max_bytes: int, max_memories: int):
        super().__init__(cache_control=None)
        self.base = {m.memory_id: m for m in base}
        self.files: dict[str, Entry] = {m.path: Entry(m.content, m.memory_id) for m in base}
        # Paths whose base memory the model deleted: a create there continues that memory.
        self._deleted: dict[str, str] = {}
        self.max_bytes = max_bytes
        self.max_memories = max_memories
        self.writes = 0

    # --- paths ---------------------------------------------------------------------------------------

    def store_path(self, path: str, *, allow_root: bool = False) -> str:
        """The store path for a /memories path; ToolError for anything outside it."""
        if not isinstance(path, str) or not (path == ROOT or path.startswith(ROOT + "/")):
            raise ToolError(f"Path must start with {ROOT}, got: {path}")
        rest = path[len(ROOT):].rstrip("/")
        if not rest:
            if allow_root:
                return "/"
            raise ToolError(f"{ROOT} itself is a directory, not a file")
        try:
            return paths.validate_path(rest)
        except InvalidRequest as exc:
            raise ToolError(f"Invalid path {path}: {exc.message.replace('`path`', 'the path')}") from None

    @staticmethod
    def tool_path(store_path: str) -> str:
        return ROOT + ("" if store_path == "/" else store_path)

    def _under(self, prefix: str) -> list[str]:
        start = prefix.rstrip("/") + "/"
        return sorted(p for p in self.files if p.startswith(start)) if prefix != "/" else sorted(self.files)

    def _check_size(self, path: str, content: str) -> None:
        size = len(content.encode("utf-8", "surrogatepass"))
        if size > self.max_bytes:
            raise ToolError(f"File {path} would be {size} bytes; a memory holds at most {self.max_bytes} bytes. "
                            "Split it into smaller files.")

    def _file(self, path: str) -> tuple[str, Entry]:
        key = self.store_path(path)
        if key not in self.files:
            if self._under(key):
                raise ToolError(f"The path {path} is a directory, not a file.")
            raise ToolError(f"The path {path} does not exist. Please provide a valid path.")
        return key, self.files[key]

    # --- the six commands --------------------------------------------------------------------------------

    def view(self, command) -> str:
        key = self.store_path(command.path, allow_root=True)
        if key in self.files:
            return self._view_file(command, self.files[key].content)
        inside = self._under(key)
        if not inside and key != "/":
            raise ToolError(f"The path {command.path} does not exist. Please provide a valid path.")
        return self._view_dir(command.path.rstrip("/") or ROOT, key, inside)

    def _view_file(self, command, content: str) -> str:
        lines = content.split("\n")
        start = 1
        view_range = getattr(command, "view_range", None)
        if view_range and len(view_range) == 2:
            first = max(1, view_range[0])
            last = len(lines) if view_range[1] == -1 else view_range[1]
            lines, start = lines[first - 1:last], first
        numbered = "\n".join(f"{str(i + start).rjust(LINE_NUMBER_WIDTH)}\t{line}" for i, line in enumerate(lines))
        if len(numbered) > MAX_VIEW_CHARS:
            numbered = numbered[:MAX_VIEW_CHARS] + "\n[truncated: use view_range to read further lines]"
        return f"Here's the content of {command.path} with line numbers:\n{numbered}"

    def _view_dir(self, shown: str, key: str, inside: list[str]) -> str:
        """Two levels deep, directories implied by the paths under it, sizes like the reference."""
        depth0 = 0 if key == "/" else key.count("/")
        entries: dict[str, int] = {}
        for path in inside:
            parts = path.split("/")[depth0 + 1:]
            size = len(self.files[path].content.encode("utf-8", "surrogatepass"))
            for level in range(min(len(parts), 2)):
                rel = "/".join(parts[:level + 1])
                is_dir = level < len(parts) - 1
                name = rel + "/" if is_dir else rel
                entries[name] = entries.get(name, 0) + size
        lines = [f"{_size(sum(len(self.files[p].content.encode('utf-8', 'surrogatepass')) for p in inside))}\t{shown}"]
        lines += [f"{_size(size)}\t{shown}/{name}" for name, size in sorted(entries.items())]
        return (f"Here're the files and directories up to 2 levels deep in {shown}, excluding hidden items:\n"
                + "\n".join(lines))

    def create(self, command) -> str:
        key = self.store_path(command.path)
        if key in self.files:
            raise ToolError(f"File {command.path} already exists")
        if self._under(key):
            raise ToolError(f"The path {command.path} is a directory")
        if len(self.files) >= self.max_memories:
            raise ToolError(f"The store holds at most {self.max_memories} memories; merge or delete some first.")
        text = command.file_text if isinstance(command.file_text, str) else ""
        self._check_size(command.path, text)
        self.files[key] = Entry(text, self._deleted.pop(key, None))
        self.writes += 1
        return f"File created successfully at: {command.path}"

    def str_replace(self, command) -> str:
        key, entry = self._file(command.path)
        old, new = command.old_str, command.new_str if command.new_str is not None else ""
        if not isinstance(old, str) or old == "":
            raise ToolError("`old_str` must be a non-empty string.")
        count = entry.content.count(old)
        if count == 0:
            raise ToolError(f"No replacement was performed, old_str `{old}` did not appear verbatim in {command.path}.")
        if count > 1:
            lines, start = [], 0
            while (pos := entry.content.find(old, start)) != -1:
                lines.append(entry.content[:pos].count("\n") + 1)
                start = pos + 1
            raise ToolError(f"No replacement was performed. Multiple occurrences of old_str `{old}` in lines: "
                            f"{', '.join(map(str, lines))}. Please ensure it is unique")
        pos = entry.content.find(old)
        content = entry.content.replace(old, new)
        self._check_size(command.path, content)
        entry.content = content
        self.writes += 1
        changed = content[:pos].count("\n")
        new_lines = content.split("\n")
        snippet = "\n".join(f"{str(n).rjust(LINE_NUMBER_WIDTH)}\t{new_lines[n - 1]}"
                            for n in range(max(0, changed - 2) + 1, min(len(new_lines), changed + 3) + 1))
        return ("The memory file has been edited. Here is the snippet showing the change (with line numbers):\n"
                + snippet)

    def insert(self, command) -> str:
        key, entry = self._file(command.path)
        lines = entry.content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        line = command.insert_line
        if not isinstance(line, int) or line < 0 or line > len(lines):
            raise ToolError(f"Invalid `insert_line` parameter: {line}. "
                            f"It should be within the range [0, {len(lines)}].")
        lines.insert(line, (command.insert_text or "").rstrip("\n"))
        content = "\n".join(lines) + "\n"
        self._check_size(command.path, content)
        entry.content = content
        self.writes += 1
        return f"The file {command.path} has been edited."

    def delete(self, command) -> str:
        key = self.store_path(command.path, allow_root=True)
        if key == "/":
            raise ToolError(f"Cannot delete the {ROOT} directory itself")
        doomed = [key] if key in self.files else self._under(key)
        if not doomed:
            raise ToolError(f"The path {command.path} does not exist")
        for path in doomed:
            entry = self.files.pop(path)
            if entry.memory_id:
                self._deleted[path] = entry.memory_id
        self.writes += 1
        return f"Successfully deleted {command.path}"

    def rename(self, command) -> str:
        old = self.store_path(command.old_path, allow_root=True)
        new = self.store_path(command.new_path)
        if old == "/":
            raise ToolError(f"Cannot rename the {ROOT} directory itself")
        if new in self.files or self._under(new):
            raise ToolError(f"The destination {command.new_path} already exists")
        if old in self.files:
            moves = {old: new}
        else:
            moves = {p: new + p[len(old):] for p in self._under(old)}
            if not moves:
                raise ToolError(f"The path {command.old_path} does not exist")
        for target in moves.values():
            self.store_path(self.tool_path(target))  # a long prefix can push a moved path past the limit
        for source, target in moves.items():
            self.files[target] = self.files.pop(source)
        self.writes += 1
        return f"Successfully renamed {command.old_path} to {command.new_path}"

    # --- the proposal --------------------------------------------------------------------------------

    def changes(self) -> list[tuple[str | None, Change]]:
        """Every difference from the base as a Change, with the path an annotation would name
        (the new path; the old one for a delete). Category and rationale are filled in later."""
        found = []
        at = {entry.memory_id: path for path, entry in self.files.items() if entry.memory_id}
        for memory_id, memory in sorted(self.base.items(), key=lambda item: item[1].path):
            path = at.get(memory_id)
            if path is None:
                found.append((memory.path, Change(operation="delete", category="other", rationale="",
                                                  memory_id=memory_id)))
                continue
            content = self.files[path].content
            if path != memory.path:
                found.append((path, Change(operation="rename", category="other", rationale="", memory_id=memory_id,
                                           path=path, content=content)))
            elif content != memory.content:
                found.append((path, Change(operation="modify", category="other", rationale="", memory_id=memory_id,
                                           path=path, content=content)))
        for path in sorted(p for p, e in self.files.items() if not e.memory_id):
            found.append((path, Change(operation="create", category="other", rationale="", path=path,
                                       content=self.files[path].content)))
        return found

    def index(self, *, max_chars: int) -> str:
        """One line per memory: path, size and first line; cut (and saying so) past max_chars."""
        lines, used = [], 0
        for path in sorted(self.files):
            content = self.files[path].content
            first = next((line.strip() for line in content.split("\n") if line.strip()), "")[:120]
            line = f"{self.tool_path(path)}\t{len(content.encode('utf-8', 'surrogatepass'))} bytes\t{first}"
            if used + len(line) > max_chars:
                lines.append(f"[{len(self.files) - len(lines)} more memories: view {ROOT} to list them]")
                break
            lines.append(line)
            used += len(line) + 1
        return "\n".join(lines) or "(the store is empty)"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size}B"
    value = size / 1024
    return f"{int(value)}K" if value == int(value) else f"{value:.1f}K"
