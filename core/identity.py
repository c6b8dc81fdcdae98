"""Device identity: an Ed25519 key pair per device. The private key never leaves the data directory.

Files: ``keys/device.key`` (PKCS#8 PEM, mode 0600) and ``keys/device.pub`` (raw key, base64url).
The key id is the first 8 bytes of SHA-256 over the raw public key, base64url (11 characters).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.errors import DataError

PRIVATE_NAME = "device.key"
PUBLIC_NAME = "device.pub"


class IdentityError(DataError):
    """The device key is missing, unreadable, or would be overwritten."""


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public_raw: bytes) -> str:
    return b64u(hashlib.sha256(public_raw).digest()[:8])


def public_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64u(text))


def verify_sig(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
        return True
    except InvalidSignature:
        return False


@dataclass
class DeviceKey:
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_b64(self) -> str:
        return b64u(self.public_raw)

    @property
    def key_id(self) -> str:
        return key_id(self.public_raw)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def create(keys_dir: Path, *, force: bool = False) -> DeviceKey:
    """Create the key pair. Refuses to replace an existing private key unless ``force``."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    priv_path = keys_dir / PRIVATE_NAME
    if priv_path.exists() and not force:
        raise IdentityError(f"{priv_path} already exists; refusing to replace the device key without --force")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = priv_path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, priv_path)
    dk = DeviceKey(key)
    (keys_dir / PUBLIC_NAME).write_text(dk.public_b64 + "\n", encoding="ascii")
    return dk


def load(keys_dir: Path) -> DeviceKey:
    priv_path = keys_dir / PRIVATE_NAME
    try:
        pem = priv_path.read_bytes()
    except FileNotFoundError as exc:
        raise IdentityError(f"no device key at {priv_path} (run `lapas init`)") from exc
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(f"{priv_path} is not an Ed25519 private key")
    return DeviceKey(key)


def exists(keys_dir: Path) -> bool:
    return (keys_dir / PRIVATE_NAME).exists()
