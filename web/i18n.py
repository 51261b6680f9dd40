"""The console's two languages: Bahasa Indonesia (default) and English.

Strings in templates and in this package are marked for gettext (msgids in English); the catalogs
are ``web/translations/<locale>/LC_MESSAGES/messages.po``, compiled to ``.mo`` by ``make i18n``
(Babel's ``pybabel`` extract, update, compile). Dates, times, numbers and working-day deadlines are
formatted by Babel in the person's locale, times in WIB.

Refusals come from the action pipeline as English sentences with a stable code; a person reads
them in their language through :func:`refusal_text` (the catalog holds one sentence per code, with
the refusal's details as parameters), falling back to the pipeline's own sentence.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import dates, numbers
from babel.support import Translations

from domain.calendar import WIB
from domain.errors import DomainError


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a message for extraction; it is translated where it is shown."""
    return message


LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
DOMAIN = "messages"
CATALOGS = Path(__file__).resolve().parent / "translations"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    return Translations.load(str(CATALOGS), [locale], DOMAIN)


def pick_locale(value: str | None, accept_language: str | None = None) -> str:
    """The session's choice, else the browser's first supported language, else Indonesian."""
    if value in LOCALES:
        return str(value)
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


class Formatter:
    """Everything a template needs to speak one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._t = translations(locale)

    def gettext(self, message: str, **params: Any) -> str:
        text = self._t.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def date(self, value: date | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(WIB).date()
        return dates.format_date(value, format="long", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        text = dates.format_datetime(value, format="medium", tzinfo=WIB, locale=self.locale)
        return f"{text} WIB"

    def number(self, value: float | int | None) -> str:
        return "" if value is None else numbers.format_decimal(value, locale=self.locale)

    def sentence(self, template: str | None, args: Mapping[str, str], fallback: str) -> str:
        """A domain sentence (``{name}`` placeholders, filled by ``args``) in this locale; the
        domain's own English sentence when it came without a template or the catalog's is broken."""
        if not template:
            return fallback
        try:
            return self._t.gettext(template).format(**args)
        except (KeyError, IndexError, ValueError):
            return fallback

    def refusal(self, err: DomainError) -> str:
        return refusal_text(err, self)

    def callables(self) -> dict[str, Callable[..., str]]:
        return {"gettext": self.gettext, "ngettext": self.ngettext, "_": self.gettext}


def refusal_text(err: DomainError, fmt: Formatter) -> str:
    """The refusal in the person's language: the catalog's sentence for its code when there is
    one (msgid ``refusal:<code>``), else the pipeline's own sentence."""
    key = f"refusal:{err.code}"
    text = fmt._t.gettext(key)  # noqa: SLF001 - the one place that asks the catalog for a key
    if text == key:
        return err.message
    try:
        return text % {k: v for k, v in err.details.items() if isinstance(v, str | int | float)}
    except (KeyError, TypeError, ValueError):
        return text
