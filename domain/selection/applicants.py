"""Who may be registered: one registration per applicant id and per NIP in a selection.

The store reads who is registered and asks :func:`duplicates` about the profiles to add (one, or a
CSV file's rows); :func:`refuse_duplicates` refuses them all at once, naming every one, so nothing
of a batch is written when any row is a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.errors import RuleViolation
from domain.selection.screening import ApplicantProfile

# How many duplicates a refusal's sentence describes; they are all in its details and fields.
NAMED = 20


def duplicates(
    registered: Mapping[str, str | None], profiles: Sequence[ApplicantProfile]
) -> list[dict[str, Any]]:
    """Every profile whose applicant id or NIP is already registered (``registered``: applicant id
    -> NIP) or listed earlier in ``profiles``; each with its 0-based ``index``."""
    nips = {nip: applicant for applicant, nip in registered.items() if nip is not None}
    first_id: dict[str, int] = {}
    first_nip: dict[str, str] = {}
    found: list[dict[str, Any]] = []
    for index, p in enumerate(profiles):
        if p.applicant_id in registered:
            found.append(_dup(index, p, "applicant_id", p.applicant_id, "registered", None))
        elif p.applicant_id in first_id:
            earlier = first_id[p.applicant_id]
            found.append(_dup(index, p, "applicant_id", p.applicant_id, "listed_twice", earlier))
        else:
            first_id[p.applicant_id] = index
        if p.nip is None:
            continue
        if p.nip in nips:
            found.append(_dup(index, p, "nip", p.nip, "registered", nips[p.nip]))
        elif p.nip in first_nip:
            found.append(_dup(index, p, "nip", p.nip, "listed_twice", first_nip[p.nip]))
        else:
            first_nip[p.nip] = p.applicant_id
    return found


def _dup(
    index: int, p: ApplicantProfile, field: str, value: str, where: str, other: str | int | None
) -> dict[str, Any]:
    return {
        "index": index,
        "applicant_id": p.applicant_id,
        "field": field,
        "value": value,
        "conflict": where,
        "with": other,
    }


def _describe(dup: Mapping[str, Any], *, batch: bool) -> str:
    label = "applicant id" if dup["field"] == "applicant_id" else "NIP"
    row = f"row {dup['index'] + 1} ({dup['applicant_id']}): " if batch else ""
    if dup["conflict"] == "registered":
        holder = f" by {dup['with']}" if dup["field"] == "nip" else ""
        return f"{row}{label} {dup['value']} is already registered{holder}"
    if dup["field"] == "nip":
        return f"{row}{label} {dup['value']} is also given for {dup['with']}"
    return f"{row}{label} {dup['value']} is listed twice (first at row {dup['with'] + 1})"


def refuse_duplicates(code: str, dups: list[dict[str, Any]], *, batch: bool) -> None:
    """Refuse a registration (or a whole batch) with every duplicate named; ``code``: the
    selection's code, for the sentence."""
    if not dups:
        return
    described = [_describe(d, batch=batch) for d in dups]
    shown = "; ".join(described[:NAMED])
    more = f"; and {len(described) - NAMED} more" if len(described) > NAMED else ""
    lead = (
        f"Nothing was imported into selection {code}: {len(dups)} duplicate(s) found"
        if batch
        else f"Cannot register into selection {code}"
    )
    fields = [
        {"field": f"row {d['index'] + 1}, {d['field']}" if batch else d["field"], "message": text}
        for d, text in zip(dups, described, strict=True)
    ]
    raise RuleViolation(
        f"{lead}: {shown}{more}.", code="applicant_exists", fields=fields, duplicates=dups
    )
