"""Signed checkpoints, their proofs, and the key that signs them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CheckpointRead(BaseModel):
    id: int
    tree_size: int = Field(
        description="Leaves (ledger entries) covered: leaf indexes 0..tree_size-1"
    )
    root_hash: str = Field(description="RFC 9162 Merkle tree hash of those leaves, hex")
    created_at: str = Field(description="UTC, exactly as signed (YYYY-MM-DDTHH:MM:SS.ffffffZ)")
    key_id: str
    signature: str = Field(
        description="Base64 Ed25519 signature of "
        '"meritflow-checkpoint/v1\\n{tree_size}\\n{root_hash}\\n{created_at}\\n"'
    )
    public_key: str = Field(description="Base64 raw Ed25519 public key that made the signature")


class CheckpointPage(BaseModel):
    items: list[CheckpointRead]
    next_cursor: str | None


class PublicKeyRead(BaseModel):
    algorithm: str = "Ed25519"
    public_key: str = Field(description="Base64 of the raw 32-byte public key")
    key_id: str = Field(description="First 16 hex digits of sha256(raw public key)")
    development: bool = Field(description="True for the fixed development key: it proves nothing")


class InclusionProofRead(BaseModel):
    checkpoint_id: int
    entry_id: str
    entry_hash: str = Field(description="The entry's chain hash")
    leaf_index: int
    leaf_hash: str = Field(
        description='sha256(0x00 || canonical_json({"entry_id": ..., "hash": entry_hash})), hex'
    )
    tree_size: int
    root_hash: str
    audit_path: list[str] = Field(description="Hex hashes, leaf to root (RFC 9162 §2.1.3)")


class ConsistencyProofRead(BaseModel):
    first: int
    second: int
    first_checkpoint_id: int
    second_checkpoint_id: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="Hex hashes (RFC 9162 §2.1.4)")
