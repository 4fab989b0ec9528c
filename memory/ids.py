"""Public identifiers: a type prefix plus a ULID-style body.

The body is 10 characters of millisecond timestamp and 16 of randomness in
Crockford base32, so identifiers sort by creation time (lists order by them)
and cannot be guessed.
"""

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{_encode(millis, 10)}{_encode(secrets.randbits(80), 16)}"


def new_request_id() -> str:
    return new_id("req")


# Named factories: model defaults must be importable functions for migrations.
def workspace_id() -> str:
    return new_id("wrkspc")


def agent_id() -> str:
    return new_id("agent")


def api_key_id() -> str:
    return new_id("apikey")


def store_id() -> str:
    return new_id("memstore")


def memory_id() -> str:
    return new_id("mem")


def version_id() -> str:
    return new_id("memver")


def changeset_id() -> str:
    return new_id("chgset")


def user_id() -> str:
    return new_id("user")
