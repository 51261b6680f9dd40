"""A selection's stamped entries (see :mod:`store.stamped`), and the digest of its applicants."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import canonical_json
from domain.processes import ProcessKind
from domain.selection.screening import ApplicantProfile
from store import stamped
from store.selection_models import Selection
from store.stamped import Stamp, written

__all__ = ["Stamp", "append", "digest", "written"]


async def append(
    session: AsyncSession,
    sel: Selection,
    stamp: Stamp,
    *,
    kind: str,
    subject: str | None,
    payload: dict[str, Any],
    justification: str | None = None,
) -> None:
    created = await stamped.append(
        session,
        stamp,
        process_id=sel.process_id,
        process_kind=ProcessKind.SELECTION,
        kind=kind,
        agency=sel.agency,
        stage=sel.stage,
        subject=subject,
        payload=payload,
        justification=justification,
        rulebook_version=sel.rulebook_version,
    )
    # written() ran under the same lock, so the id is new; a False here is a bug, not a repeat.
    assert created, stamp.entry_id


def digest(rows: Sequence[ApplicantProfile]) -> str:
    """sha-256 of the applicants' records as registered: the ledger binds them without them."""
    return hashlib.sha256(canonical_json([r.model_dump(mode="json") for r in rows])).hexdigest()
