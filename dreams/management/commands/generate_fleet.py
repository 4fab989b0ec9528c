from django.core.management.base import BaseCommand, CommandError

from dreams.demo.fleetgen import DOMAINS, generate_fleet, generate_scale_fleet


class Command(BaseCommand):
    help = (
        "Write a synthetic fleet for measuring dreams: OUT_DIR/store/ (one .md file per memory), "
        "OUT_DIR/sessions/*.json (session export files) and OUT_DIR/answers.json (the planted findings: a "
        "duplicated fact, a stale command, a fact to verify, a recurring error→recovery pattern, an injected "
        "instruction, failed sessions, and the facts that must survive). Deterministic for a seed. With --scale, "
        "a large fleet with no particular findings (defaults: 200 events per session, 2,000 memories). Load it "
        "with import_store OUT_DIR/store and import_sessions OUT_DIR/sessions."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain", choices=sorted(DOMAINS))
        parser.add_argument("out_dir", metavar="OUT_DIR", help="A new or empty directory.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--sessions", type=int, help="Number of sessions (default 40; --scale: 100).")
        parser.add_argument("--events-per-session", type=int,
                            help="Pad each session to about this many events (default: natural length; --scale: 200).")
        parser.add_argument("--memories", type=int, help="Number of memories (default: the domain's files plus 6; "
                                                         "--scale: 2000).")
        parser.add_argument("--scale", action="store_true", help="A scale fleet: no planted findings.")

    def handle(self, *args, domain, out_dir, seed, sessions, events_per_session, memories, scale, **options):
        try:
            if scale:
                answers = generate_scale_fleet(domain, out_dir, seed=seed, sessions=sessions or 100,
                                               events_per_session=events_per_session or 200,
                                               memories=memories or 2000)
                summary = f"{answers['sessions']} sessions, {answers['memories']} memories"
            else:
                answers = generate_fleet(domain, out_dir, seed=seed, sessions=sessions or 40,
                                         events_per_session=events_per_session, memories=memories)
                summary = (f"{sessions or 40} sessions; planted: dedup ×{answers['dedup']['copies']}, stale "
                           f"{answers['stale']['old']!r} → {answers['stale']['new']!r}, verify, pattern, poison, "
                           f"{len(answers['failed_sessions'])} failed, {len(answers['keep'])} facts to keep")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Wrote the {domain} fleet (seed {seed}) to {out_dir}: {summary}.")
        self.stdout.write(str(out_dir))
