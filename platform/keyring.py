"""The app's keys: personal-data encryption, lookup hashes and API-key digests.

Personal data (phone, email) is encrypted with AES-GCM under a key id, so keys rotate: the
first configured key encrypts, every configured key decrypts, and `flask jifen
reencrypt` moves old rows to the current key. Beside each ciphertext a keyed hash (HMAC)
allows exact-match lookup without decrypting. Keys not configured are derived from the
secret key, which is enough for the embedded mode and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jifen.config import Settings


class KeyringError(ValueError):
    pass


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def _b64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@dataclass(frozen=True)
class Keyring:
    encryption_keys: tuple[tuple[str, bytes], ...]  # (key id, 32-byte key); first encrypts
    lookup_key: bytes
    api_key_pepper: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        keys: list[tuple[str, bytes]] = []
        for item in filter(None, (p.strip() for p in settings.encryption_keys.split(","))):
            kid, _, material = item.partition(":")
            key = _b64(material)
            if not kid.isalnum() or len(key) != 32:
                raise KeyringError(
                    "JIFEN_ENCRYPTION_KEYS items are 'kid:base64(32 bytes)', kid alphanumeric"
                )
            keys.append((kid, key))
        if not keys:
            keys.append(("d0", _derive(settings.secret_key, b"jifen personal data")))
        lookup = (
            _b64(settings.lookup_key)
            if settings.lookup_key
            else _derive(settings.secret_key, b"jifen lookup")
        )
        pepper = _derive(settings.secret_key, b"jifen api keys")
        return cls(encryption_keys=tuple(keys), lookup_key=lookup, api_key_pepper=pepper)

    @property
    def current_key_id(self) -> str:
        return self.encryption_keys[0][0]

    def encrypt(self, plaintext: str) -> str:
        """`kid.base64(nonce + ciphertext)` under the current key."""
        kid, key = self.encryption_keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), kid.encode())
        return f"{kid}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str) -> str:
        kid, _, body = token.partition(".")
        key = dict(self.encryption_keys).get(kid)
        if key is None:
            raise KeyringError(f"no key {kid!r} configured to decrypt personal data")
        raw = _b64(body)
        return AESGCM(key).decrypt(raw[:12], raw[12:], kid.encode()).decode()

    def key_id_of(self, token: str) -> str:
        return token.partition(".")[0]

    def lookup_hash(self, normalized: str) -> bytes:
        """Keyed hash of a normalised value, for exact-match lookup."""
        return hmac.new(self.lookup_key, normalized.encode(), hashlib.sha256).digest()

    def api_key_digest(self, secret: str) -> bytes:
        return hmac.new(self.api_key_pepper, secret.encode(), hashlib.sha256).digest()
