"""Ed25519 signing of ledger checkpoints: the key from settings, the signed text, the check.

The signed message is a canonical text, so that anyone can rebuild it from a checkpoint's fields::

    meritflow-checkpoint/v1\\n{tree_size}\\n{root_hex}\\n{created_at}\\n

with ``created_at`` in the ledger's one ISO spelling (UTC, microseconds, ``Z``;
``domain.ledger.iso_utc``). Keys travel as standard base64: the private key as its 32-byte seed
(``MERITFLOW_CHECKPOINT_SIGNING_KEY``), the public key as its 32 raw bytes. A key id is the first 16
hex digits of the sha-256 of the raw public key.

Without a configured key, ``development`` and ``test`` sign with a fixed development key derived from
a public label (a warning is logged; its signatures prove nothing); any other env refuses.
:func:`verify_signature` needs no settings and no network: the offline verifier uses it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from domain.canonical import iso_utc

if TYPE_CHECKING:
    from infra.settings import Settings


def logger(name: str) -> Any:
    """structlog's logger for ``name``, imported when something first logs: the offline verifier
    imports this module and never logs, and structlog (which loads rich) took it 0.4 s to import."""
    import structlog

    return structlog.get_logger(name)


MESSAGE_VERSION = "meritflow-checkpoint/v1"
DEVELOPMENT_ENVS = frozenset({"development", "test"})
_DEVELOPMENT_SEED_LABEL = b"meritflow development checkpoint signing key - not a secret - v1"
KEY_BYTES = 32


class CheckpointKeyError(Exception):
    """No usable signing key: missing outside development/test, or not a base64 32-byte seed."""


def checkpoint_message(tree_size: int, root_hash: str, created_at: datetime | str) -> bytes:
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at)
    return f"{MESSAGE_VERSION}\n{tree_size}\n{root_hash}\n{iso_utc(created_at)}\n".encode()


def key_id_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def decode_key(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointKeyError(f"the {what} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise CheckpointKeyError(f"the {what} must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


@dataclass(frozen=True)
class CheckpointSigner:
    private_key: Ed25519PrivateKey
    public_key: str
    key_id: str
    development: bool = False

    @classmethod
    def from_seed(cls, seed: bytes, *, development: bool = False) -> CheckpointSigner:
        private = Ed25519PrivateKey.from_private_bytes(seed)
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(
            private_key=private,
            public_key=base64.b64encode(raw).decode(),
            key_id=key_id_of(raw),
            development=development,
        )

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode()


def development_seed() -> bytes:
    return hashlib.sha256(_DEVELOPMENT_SEED_LABEL).digest()


def load_signer(settings: Settings) -> CheckpointSigner:
    """The configured key; the development key in development/test; else :class:`CheckpointKeyError`."""
    if settings.checkpoint_signing_key:
        seed = decode_key(settings.checkpoint_signing_key, "checkpoint signing key")
        return CheckpointSigner.from_seed(seed)
    if settings.env not in DEVELOPMENT_ENVS:
        raise CheckpointKeyError(
            f"MERITFLOW_CHECKPOINT_SIGNING_KEY is not set; env '{settings.env}' will not sign "
            "checkpoints with the development key"
        )
    signer = CheckpointSigner.from_seed(development_seed(), development=True)
    logger(__name__).warning("checkpoint.development_key", key_id=signer.key_id, env=settings.env)
    return signer


def signing_configured(settings: Settings) -> bool:
    """Whether :func:`load_signer` would succeed, without logging the development-key warning."""
    if settings.checkpoint_signing_key:
        try:
            decode_key(settings.checkpoint_signing_key, "checkpoint signing key")
        except CheckpointKeyError:
            return False
        return True
    return settings.env in DEVELOPMENT_ENVS


def optional_signer(settings: Settings) -> CheckpointSigner | None:
    """:func:`load_signer`, or None (logged) where checkpointing must refuse to run."""
    try:
        return load_signer(settings)
    except CheckpointKeyError as exc:
        logger(__name__).error("checkpoint.signing_disabled", reason=str(exc))
        return None


def verify_signature(public_key: str, message: bytes, signature: str) -> bool:
    """Does ``signature`` (base64) sign ``message`` under ``public_key`` (base64, raw 32 bytes)?"""
    try:
        key = Ed25519PublicKey.from_public_bytes(decode_key(public_key, "public key"))
        key.verify(base64.b64decode(signature, validate=True), message)
    except (CheckpointKeyError, InvalidSignature, binascii.Error, ValueError):
        return False
    return True
