"""The Ed25519 key that signs checkpoints: kept in a file outside the database, mode 0600."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class CheckpointKeyError(ValueError):
    """The checkpoint key is missing, unreadable or too widely readable; the message says what."""


@dataclass(frozen=True)
class Verifier:
    """A public key: checks signatures; safe to publish."""

    public: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.raw).decode()

    def verifies(self, message: bytes, signature_b64: str) -> bool:
        try:
            self.public.verify(base64.b64decode(signature_b64, validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.private.public_key())

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


def create_key(path: Path) -> Signer:
    """Write a new key; refuses to overwrite one (that would orphan every checkpoint)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        msg = f"{path}: a checkpoint key already exists; keep it (checkpoints need it) or move it"
        raise CheckpointKeyError(msg) from exc
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())
    return Signer(key)


def load_key(path: Path) -> Signer:
    try:
        mode = path.stat().st_mode
        pem = path.read_bytes()
    except FileNotFoundError as exc:
        msg = f"{path}: no checkpoint key; create it with `platewatch audit keygen`"
        raise CheckpointKeyError(msg) from exc
    except OSError as exc:
        msg = f"{path}: cannot read the checkpoint key ({exc}); check its owner and mode"
        raise CheckpointKeyError(msg) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        msg = f"{path}: the checkpoint key is readable by others; run `chmod 600 {path}`"
        raise CheckpointKeyError(msg)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        msg = f"{path}: not a PEM private key; restore the key file from its backup"
        raise CheckpointKeyError(msg) from exc
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{path}: not an Ed25519 key; create one with `platewatch audit keygen`"
        raise CheckpointKeyError(msg)
    return Signer(key)


def load_or_create_key(path: Path) -> Signer:
    """The key at `path`, created on first use."""
    if not path.exists():
        try:
            return create_key(path)
        except CheckpointKeyError:
            pass  # another process created it meanwhile
    return load_key(path)
