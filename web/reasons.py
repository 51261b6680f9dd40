"""A process's outcome reason in the reader's language.

Workflows store a reason as an English sentence built from one of ``domain.reasons``' templates;
:func:`reason_text` finds the template and shows the catalog's sentence for it, with the reason
inside a reason and the durations translated too. A reason a person typed is shown as typed.
"""

from __future__ import annotations

from domain import reasons
from web.i18n import Formatter


def reason_text(fmt: Formatter, text: str | None) -> str:
    if not text:
        return ""
    found = reasons.parse(text)
    if found is None:
        return text
    args = {name: _arg(fmt, name, value) for name, value in found.args.items()}
    return fmt.sentence(found.template, args, text)


def _arg(fmt: Formatter, name: str, value: str) -> str:
    if name in reasons.NESTED:
        return reason_text(fmt, value)
    if name == reasons.DURATION:
        duration = reasons.parse_duration(value)
        if duration is not None:
            form, n = duration
            return fmt.sentence(form, {"n": fmt.number(n)}, value)
    if name in reasons.CODES and value in reasons.CODES[name]:
        return fmt.gettext(reasons.CODES[name][value])
    return value
