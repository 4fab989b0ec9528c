"""An engine for tests of the pipeline's failure paths: it works slowly, so a
test can cancel it or kill its worker mid-run. Loaded through REVERIE_EXTRA_ENGINES."""

import time

from dreams.engines.base import Change


class SlowEngine:
    name = "reverie-test-slow"

    def run(self, *, base, sessions, instructions, context):
        for step in range(600):
            context.progress(step="thinking slowly", tick=step)
            time.sleep(0.1)
        yield Change(operation="create", category="other", rationale="never reached", path="/slow.md", content="x")
