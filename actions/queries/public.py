"""What anyone may read without a token: the published results of each stage of a selection.

The law requires the results of an open selection to be announced (ranks, scores and outcomes).
Nothing else leaves here: announcement bodies are filtered on the way out, so a NIP, a birth date,
an individual scorer's identity or justification never reaches the public even if a body held one.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from actions.schemas.selections import AnnouncementRead, PublicAnnouncements
from actions.services import Services
from domain.errors import NotFound
from integrity import checkpoint_log
from integrity.checkpoint_signing import optional_signer
from store import public_reads, selections
from store.reads import reading

# Keys never published, at any depth of an announcement body.
PRIVATE_KEYS = frozenset(
    {
        "nip",
        "birth_date",
        "birth_dates",
        "scorer",
        "scorer_id",
        "scorer_ids",
        "scorers",
        "sheets",
        "justification",
        "justifications",
        "decision_justification",
        "decided_by",
        "registered_by",
        "reasons",
        "auto_reasons",
        "conflicted",
        "conflicts",
        "votes",
        "actor",
        "actor_id",
    }
)
_NIP = re.compile(r"(?<!\d)\d{18}(?!\d)")
_BORN = re.compile(r"\bborn \d{4}-\d{2}-\d{2}")


def scrub(value: Any) -> Any:
    """``value`` without private keys, and without anything shaped like a NIP or a birth date."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if str(k).lower() not in PRIVATE_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _BORN.sub("born [withheld]", _NIP.sub("[withheld]", value))
    return value


async def announcements(services: Services, process_id: str) -> PublicAnnouncements:
    async with reading(services.sessions) as session:
        s = await selections.get(session, process_id)
        if s is None:
            raise NotFound(f"No selection '{process_id}' is published here.")
        rows = await selections.announcements(session, process_id)
    return PublicAnnouncements(
        process_id=s.process_id,
        agency=s.agency,
        post_title=s.post_title,
        post_level=s.post_level,
        stage=s.stage,
        items=[
            AnnouncementRead(
                key=a.key,
                stage=a.stage,
                title=scrub(a.title),
                body=scrub(dict(a.body or {})),
                published_at=a.published_at,
            )
            for a in rows
        ],
    )


async def published_selections(services: Services, limit: int = 50) -> list[dict[str, Any]]:
    """Selections with at least one announcement, newest first: what the landing page lists."""
    async with reading(services.sessions) as session:
        rows = await public_reads.published(session, limit=limit)
    return [
        {
            "process_id": s.process_id,
            "agency": s.agency,
            "post_title": s.post_title,
            "post_level": s.post_level,
            "stage": s.stage,
            "updated_at": s.updated_at,
        }
        for s in rows
    ]


async def published_checkpoints(services: Services) -> dict[str, Any]:
    """The signed checkpoints as published outside the database, and the key that signs them."""
    items = await asyncio.to_thread(
        checkpoint_log.read, services.settings.published_checkpoints_dir
    )
    signer = optional_signer(services.settings)
    return {
        "public_key": signer.public_key if signer is not None else None,
        "key_id": signer.key_id if signer is not None else None,
        "checkpoints": items,
    }
