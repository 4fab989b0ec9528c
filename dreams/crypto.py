"""Encryption at rest for secrets Reverie has to hand back in plaintext (a workspace's model key).

API keys of Reverie itself are hashed, but a model key must be sent to the model provider, so
it is encrypted instead: Fernet (AES-128-CBC with an HMAC-SHA256 tag), so a token altered in the
database fails to decrypt rather than decrypting to garbage.

The key comes from REVERIE_ENCRYPTION_KEY (any string), else from SECRET_KEY. Rotation: move
the old value to REVERIE_ENCRYPTION_OLD_KEYS (decrypt-only) and run `manage.py
rotate_model_keys`, which re-encrypts every stored secret under the current key.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Domain separation: the key derived from SECRET_KEY is good for this purpose only, so it
# equals no session signature or token that Django derives from the same SECRET_KEY.
SECRET_KEY_PURPOSE = b"reverie-model-credentials"


class DecryptionFailed(Exception):
    """The token was made under a key we no longer have (or was altered). Never carries the secret."""


def _fernet_from_passphrase(value: str) -> Fernet:
    # Fernet wants 32 url-safe base64 bytes; any string the operator chose becomes one.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(value.encode("utf-8")).digest()))


def _fernet_from_secret_key(secret_key: str) -> Fernet:
    digest = hmac.new(secret_key.encode("utf-8"), SECRET_KEY_PURPOSE, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> list[Fernet]:
    """The current key first (it encrypts), then every key that may still decrypt."""
    primary = settings.REVERIE_ENCRYPTION_KEY
    keys = [_fernet_from_passphrase(primary) if primary else _fernet_from_secret_key(settings.SECRET_KEY)]
    keys += [_fernet_from_passphrase(old) for old in settings.REVERIE_ENCRYPTION_OLD_KEYS]
    if primary:
        # Secrets saved before REVERIE_ENCRYPTION_KEY was set stay readable until rotated.
        keys.append(_fernet_from_secret_key(settings.SECRET_KEY))
    # Django's own SECRET_KEY rotation: old secret keys keep decrypting, like old signatures.
    keys += [_fernet_from_secret_key(old) for old in getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return keys


def encrypt(plaintext: str) -> str:
    return MultiFernet(_keys()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return MultiFernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise DecryptionFailed("The secret cannot be decrypted with the configured encryption keys.") from None


def rotate(token: str) -> str:
    """The same secret, encrypted afresh under the current key."""
    try:
        return MultiFernet(_keys()).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise DecryptionFailed("The secret cannot be decrypted with the configured encryption keys.") from None
