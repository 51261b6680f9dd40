"""Why a vacant JPT post went where it went, in the reader's language (``domain/talent/filling.py``).

The decision kept with the appointment holds its sentences in English: each check's message (with
the template and values it was made of, for decisions taken since templates exist), the reason,
and why anyone ranked above the successor was passed over. A check is read from the catalog by its
template; the reason and a passed-over line are rebuilt from the decision's own checks and read
from the catalog only when the rebuilt English equals what was kept. Otherwise the kept sentence
is shown as it is, never a sentence that says something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.talent.filling import NOT_ELIGIBLE, SELECTION_REASON, TALENT_REASON
from web.i18n import Formatter


def _said(fmt: Formatter, r: Mapping[str, Any]) -> str:
    return fmt.sentence(r.get("template"), r.get("args") or {}, str(r.get("message", "")))


def _unmet(fmt: Formatter, reasons: list[Mapping[str, Any]]) -> tuple[str, str]:
    """The unmet reasons joined, in English and in the reader's language."""
    missed = [r for r in reasons if not r.get("met")]
    return "; ".join(str(r.get("message", "")) for r in missed), "; ".join(
        _said(fmt, r) for r in missed
    )


def _reason(fmt: Formatter, d: Mapping[str, Any]) -> str:
    kept = str(d.get("reason", ""))
    successor = d.get("successor") or {}
    if d.get("route") == "talent_management" and successor:
        args = {"nip": str(successor.get("nip")), "box": str(successor.get("box"))}
        return (
            fmt.sentence(TALENT_REASON, args, kept)
            if TALENT_REASON.format(**args) == kept
            else kept
        )
    english, local = _unmet(fmt, list(d.get("checks") or []))
    if kept == SELECTION_REASON.format(unmet=english):
        return fmt.sentence(SELECTION_REASON, {"unmet": local}, kept)
    return kept


def _why(fmt: Formatter, p: Mapping[str, Any]) -> str:
    kept = str(p.get("why", ""))
    if p.get("template"):
        return _said(fmt, {**p, "message": kept})
    english, local = _unmet(fmt, list(p.get("reasons") or []))
    if p.get("reasons") and kept == NOT_ELIGIBLE.format(unmet=english):
        return fmt.sentence(NOT_ELIGIBLE, {"unmet": local}, kept)
    return kept


def route_lines(fmt: Formatter, decision: Mapping[str, Any]) -> dict[str, Any]:
    """The decision as the page shows it: its reason, its checks and who was passed over."""
    return {
        "reason": _reason(fmt, decision),
        "checks": [
            {"met": bool(c.get("met")), "text": _said(fmt, c)} for c in decision.get("checks") or []
        ],
        "passed_over": [
            {"nip": p.get("nip"), "rank": p.get("rank"), "why": _why(fmt, p)}
            for p in decision.get("passed_over") or []
        ],
    }
