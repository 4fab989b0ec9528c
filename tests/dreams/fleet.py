"""The SRE fleet sample (a memory store and 40 sessions), loaded through the importers."""

import io
import json
from pathlib import Path

from django.core.management import call_command

from memory.models import MemoryStore

DATA = Path(__file__).parent / "data"


def load_sre_fleet(workspace_name: str = "acme") -> MemoryStore:
    call_command("import_store", str(DATA / "sre-fleet-store"), "--name", "sre", "--workspace", workspace_name,
                 stdout=io.StringIO(), stderr=io.StringIO())
    call_command("import_sessions", str(DATA / "sre-fleet"), "--workspace", workspace_name,
                 stdout=io.StringIO(), stderr=io.StringIO())
    return MemoryStore.objects.get(workspace__name=workspace_name, name="sre")


def answers() -> dict:
    return json.loads((DATA / "sre-fleet-answers.json").read_text())


def contents(store) -> dict[str, str]:
    from memory.blobs import read_blob
    from memory.models import Memory

    return {m.path: read_blob(m.blob) for m in Memory.objects.filter(store=store).select_related("blob")}
