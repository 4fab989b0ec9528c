"""Near-duplicate detection for short facts: normalized token sets, MinHash
signatures and locality-sensitive hashing, so finding similar pairs among n
facts costs about O(n) instead of comparing every pair.

Deterministic: hashes come from blake2b and a fixed seed, never from Python's
per-process randomized `hash()`.
"""

import hashlib
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

NUM_HASHES = 64
BANDS = 16  # 16 bands of 4 rows: pairs with Jaccard >= ~0.5 collide in some band with high probability
ROWS = NUM_HASHES // BANDS
_PRIME = (1 << 61) - 1
_rng = random.Random(20261124)
_COEFFS = [(_rng.randrange(1, _PRIME), _rng.randrange(0, _PRIME)) for _ in range(NUM_HASHES)]

STOPWORDS = frozenset(
    """a an and are as at be been but by for from has have if in into is it its of on or so than that the
    then there these this those to was were will with about also any all so such very just note remember
    meanwhile while when which who whom what where why how can could should would may might must our your
    their we you they i he she them us me my""".split()
)
SYNONYMS = {"db": "database", "dbs": "database", "databases": "database", "k8s": "kubernetes", "secs": "seconds",
            "sec": "seconds", "mins": "minutes", "min": "minutes", "pods": "pod", "don": "not", "dont": "not",
            "never": "not", "no": "not"}
_TOKEN = re.compile(r"[a-z0-9]+(?:[._:/-][a-z0-9]+)*")


def _stem(word: str) -> str:
    if word.isdigit() or len(word) <= 4:
        return word
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> frozenset[str]:
    text = text.lower().replace("n't", " not")
    words = (SYNONYMS.get(w, w) for w in _TOKEN.findall(text))
    return frozenset(_stem(w) for w in words if w not in STOPWORDS)


@lru_cache(maxsize=65536)
def numbers(token_set: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in token_set if any(ch.isdigit() for ch in t))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_fact(a: frozenset, b: frozenset, *, threshold: float = 0.5) -> bool:
    """Near-duplicates: similar wording and no conflicting numbers ("30 minutes" is not "60 minutes")."""
    na, nb = numbers(a), numbers(b)
    if (na or nb) and na != nb:
        return False
    return jaccard(a, b) >= threshold


# Two wordings of one fact that state the same specific value ("04:30 UTC", "600 requests") share
# fewer words than two templated facts do; the shared value lets a looser threshold hold.
LOOSE_THRESHOLD = 0.3
LOOSE_MIN_SHARED_WORDS = 3  # besides the numbers
MAX_LOOSE_SCAN = 200  # facts with one set of numbers compared exhaustively (bounded cost)


def distinctive_numbers(token_set: frozenset[str]) -> bool:
    """The facts' numbers pin a specific value: at least two digits in all (`90`, `04:30`, `1.5`),
    not a lone small count that many unrelated facts share."""
    found = numbers(token_set)
    return bool(found) and sum(ch.isdigit() for t in found for ch in t) >= 2


def head(text: str) -> str:
    """A fact's subject word: its first content word that is not a number ("" when none)."""
    for word in _TOKEN.findall(text.lower().replace("n't", " not")):
        word = SYNONYMS.get(word, word)
        if word not in STOPWORDS and not any(ch.isdigit() for ch in word):
            return _stem(word)
    return ""


def loosely_same(a: frozenset, b: frozenset, head_a: str = "", head_b: str = "") -> bool:
    """Differently worded statements of one value: the same distinctive numbers, three shared
    words besides them, a Jaccard of at least LOOSE_THRESHOLD, and about the same subject (one
    fact's subject word appears in the other: "the backup job runs at 03:15" is not "the renewal
    job runs at 03:15")."""
    na = numbers(a)
    if na != numbers(b) or not distinctive_numbers(a):
        return False
    if not ((head_a and head_a in b) or (head_b and head_b in a)):
        return False
    return len((a & b) - na) >= LOOSE_MIN_SHARED_WORDS and jaccard(a, b) >= LOOSE_THRESHOLD


def signature(token_set: frozenset[str]) -> tuple[int, ...]:
    bases = [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "big") for t in token_set]
    if not bases:
        return tuple([_PRIME] * NUM_HASHES)
    return tuple(min((a * x + b) % _PRIME for x in bases) for a, b in _COEFFS)


@dataclass
class LshIndex:
    """Buckets facts by bands of their MinHash signature; similar facts share a bucket."""

    def __post_init__(self):
        self._buckets: dict[tuple, list[int]] = defaultdict(list)

    def add(self, key: int, sig: tuple[int, ...]) -> None:
        for band in range(BANDS):
            self._buckets[(band, sig[band * ROWS : (band + 1) * ROWS])].append(key)

    def candidates(self, sig: tuple[int, ...]) -> set[int]:
        found: set[int] = set()
        for band in range(BANDS):
            found.update(self._buckets.get((band, sig[band * ROWS : (band + 1) * ROWS]), ()))
        return found


class UnionFind:
    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def clusters(token_sets: list[frozenset[str]], *, threshold: float = 0.5,
             heads: list[str] | None = None) -> list[list[int]]:
    """Groups (of two or more) of indexes whose token sets are near-duplicates. With `heads`
    (each fact's subject word, see `head`), rewordings of one specific value join too."""
    # One index per set of numbers: facts whose numbers differ are never the same
    # fact, and templated stores ("service N runs M replicas") would otherwise put
    # thousands of such facts in one bucket and make the search quadratic.
    indexes: dict[frozenset[str], LshIndex] = defaultdict(LshIndex)
    by_numbers: dict[frozenset[str], list[int]] = defaultdict(list)  # distinctive numbers -> facts
    groups = UnionFind()
    for i, token_set in enumerate(token_sets):
        if not token_set:
            continue
        sig = signature(token_set)
        index = indexes[numbers(token_set)]
        root = groups.find(i)
        for j in sorted(index.candidates(sig)):
            if groups.find(j) != root and jaccard(token_set, token_sets[j]) >= threshold:
                groups.union(i, j)
                root = groups.find(i)
        index.add(i, sig)
        if heads is not None and distinctive_numbers(token_set):
            same_value = by_numbers[numbers(token_set)]
            if len(same_value) < MAX_LOOSE_SCAN:
                for j in same_value:
                    if groups.find(j) != root and loosely_same(token_set, token_sets[j], heads[i], heads[j]):
                        groups.union(i, j)
                        root = groups.find(i)
                same_value.append(i)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(token_sets)):
        if i in groups.parent:
            members[groups.find(i)].append(i)
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: m[0])
