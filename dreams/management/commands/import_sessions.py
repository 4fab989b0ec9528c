import logging

from django.core.management.base import BaseCommand, CommandError

from dreams.importers import (FAILED, ImportFailed, ImportReport, claude_code, codex, export_files, import_session,
                              openhands)
from memory import identity
from memory.errors import ReverieError

log = logging.getLogger(__name__)
FORMATS = ("auto", export_files.EXPORT, export_files.CLAUDE_CODE, export_files.CODEX, export_files.OPENHANDS)
# Readers of one agent log file: (path, agent_name=) → (one SessionImport, warnings).
LOG_READERS = {
    export_files.CLAUDE_CODE: claude_code.read_transcript,
    export_files.CODEX: codex.read_rollout,
    export_files.OPENHANDS: openhands.read_events,
}


class Command(BaseCommand):
    help = (
        "Import agent sessions with their events: session export files ({\"session\", \"events\"} as "
        "sessions.retrieve and sessions.events.list return them; one per file, an array, or one per line), "
        "Claude Code transcripts (~/.claude/projects/*/*.jsonl), Codex CLI rollouts (~/.codex/sessions/**/*.jsonl), "
        "OpenHands event logs (a JSON array of events, or {\"trajectory\": [...]}), or every session of another API "
        "(--from-api URL --api-key KEY). Directories are searched for *.json and *.jsonl. Sessions keep their "
        "ids; importing again adds only new events. Each session imports whole or not at all; the command "
        "exits non-zero if any failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="Files or directories to import.")
        parser.add_argument("--workspace", default="default", help="Workspace name (created if missing).")
        parser.add_argument("--agent",
                            help="File every session under this agent name (Claude Code default: claude-code).")
        parser.add_argument("--format", choices=FORMATS, default="auto",
                            help="How to read files; auto: judged by content (the first JSON line of a .jsonl, "
                                 "the shape of a .json).")
        parser.add_argument("--from-api", metavar="URL", help="Pull sessions from this API base URL.")
        parser.add_argument("--api-key", metavar="KEY", help="The API key for --from-api.")

    def handle(self, *args, paths, workspace, agent, format, from_api, api_key, **options):
        if not paths and not from_api:
            raise CommandError("Name files or directories to import, or --from-api URL --api-key KEY.")
        if from_api and not api_key:
            raise CommandError("--from-api needs --api-key.")
        try:
            ws = identity.get_or_create_workspace(name=workspace)
        except ReverieError as exc:
            raise CommandError(exc.message) from None
        report = ImportReport()
        for item in self._items(paths, agent=agent, fmt=format, from_api=from_api, api_key=api_key, report=report):
            try:
                outcome, session_id = import_session(workspace=ws, item=item)
            except ImportFailed as exc:
                report.fail(item.source, str(exc))
                self.stderr.write(f"FAILED {exc}")
                continue
            except Exception as exc:  # a bug or a database error: report it, keep going with the others
                log.exception("importing %s failed", item.source)
                report.fail(item.source, f"{item.source}: {type(exc).__name__}: {exc}")
                self.stderr.write(f"FAILED {item.source}: {type(exc).__name__}: {exc}")
                continue
            report.add(outcome)
            if options["verbosity"] > 1:
                self.stdout.write(f"{outcome} {session_id} ({item.source})")
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        counts = report.counts
        self.stdout.write(
            f"Sessions: {counts['imported']} imported, {counts['unchanged']} unchanged, "
            f"{counts['updated']} updated, {counts[FAILED]} failed (workspace {ws.name})."
        )
        if counts[FAILED]:
            raise CommandError(f"{counts[FAILED]} session source(s) failed to import; nothing of them was imported.")

    def _items(self, paths, *, agent, fmt, from_api, api_key, report: ImportReport):
        for path in export_files.find_files(paths):
            kind = export_files.detect_format(path) if fmt == "auto" else fmt
            if kind in LOG_READERS:
                item, warnings = LOG_READERS[kind](path, agent_name=agent)
                report.warnings.extend(warnings)
                yield item
                continue
            try:
                yield from export_files.read_export_file(path, agent_name=agent)
            except ImportFailed as exc:
                report.fail(str(path), str(exc))
                self.stderr.write(f"FAILED {exc}")
        if from_api:
            from dreams.importers import remote_api  # the SDK takes seconds to import; only load it when needed

            try:
                yield from remote_api.fetch_sessions(base_url=from_api, api_key=api_key, agent_name=agent)
            except ImportFailed as exc:
                report.fail(from_api, str(exc))
                self.stderr.write(f"FAILED {exc}")
