"""Synthetic fleets for measuring dreaming engines: a memory store, session exports and answers.

`generate_fleet` writes the layout of the SRE sample fleet (store/ of .md files, sessions/*.json
export files, answers.json naming the planted findings) for one domain, deterministically from a
seed. `generate_scale_fleet` writes a large fleet with no particular findings, for the scale
benchmark. Pure Python: no Django, no database; the importers load what these write.
"""

from dreams.demo.fleetgen.domains import DOMAINS
from dreams.demo.fleetgen.generate import generate_fleet, generate_scale_fleet

__all__ = ["DOMAINS", "generate_fleet", "generate_scale_fleet"]
