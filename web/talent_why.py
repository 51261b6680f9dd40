"""Why a person is in their box, in the reader's language (``domain/talent/why.py``'s sentences).

The explanation kept with the person holds the sentences in English. They are rebuilt here from
the explanation's own numbers and, when the rebuilt English equals what was kept, each is read from
the catalog; otherwise (an explanation kept by another wording) the kept sentences are shown as
they are, never a sentence that says something else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.errors import DomainError
from domain.talent.rulebook import get_talent_rulebook
from domain.talent.why import WORDS, filled, why_from_explanation
from web.i18n import Formatter


def why_lines(fmt: Formatter) -> Callable[[Mapping[str, Any]], list[str]]:
    def lines(e: Mapping[str, Any]) -> list[str]:
        kept = [str(w) for w in e.get("why") or []]
        try:
            sentences = why_from_explanation(get_talent_rulebook(str(e["rulebook"])), e)
        except (DomainError, KeyError, TypeError, ValueError, StopIteration):
            return kept
        if filled(sentences) != kept:
            return kept
        return [
            fmt.sentence(
                template, {k: fmt.gettext(v) if v in WORDS else v for k, v in args.items()}, text
            )
            for (template, args), text in zip(sentences, kept, strict=True)
        ]

    return lines
