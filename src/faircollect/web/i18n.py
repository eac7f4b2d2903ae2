"""Languages of the web faces: zh-CN and English, with Babel's catalogues and formats.

The viewer's language is the one they chose (`?lang=`, kept in a cookie), else the best
match of their Accept-Language, else English. Messages live in locales/<locale>.po (msgid =
the English text), read with Babel on first use; dates, times, numbers and amounts of money
are formatted by Babel in the viewer's locale (CLDR data), in the borrower's time zone when
one is given.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale, dates, negotiate_locale, numbers
from babel.messages.pofile import read_po

LANGS: Final = ("en", "zh-CN")
DEFAULT: Final = "en"
_BABEL: Final = {"en": "en", "zh-CN": "zh_Hans_CN"}


@cache
def _catalogue(lang: str) -> dict[str, str]:
    name = lang.replace("-", "_") + ".po"
    path = resources.files("faircollect.web") / "locales" / name
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string}


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The language to answer in."""
    if chosen in LANGS:
        return str(chosen)
    wanted = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if tag:
            wanted.append(tag.replace("_", "-"))
    found = negotiate_locale(wanted, ["en", "zh-CN", "zh"], sep="-")
    if found in ("zh", "zh-CN"):
        return "zh-CN"
    return DEFAULT if found is None else "en"


class Translator:
    """Message lookup and formats for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT
        self.locale = Locale.parse(_BABEL[self.lang])
        self._messages = _catalogue(self.lang)

    def __call__(self, text: str, **values: object) -> str:
        out = self._messages.get(text, text)
        return out.format(**values) if values else out

    def date(self, value: date | datetime | str | None, tz: str | None = None) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            if tz:
                value = value.astimezone(ZoneInfo(tz))
            value = value.date()
        return dates.format_date(value, "medium", locale=self.locale)

    def datetime(self, value: datetime | None, tz: str | None = None) -> str:
        if value is None:
            return "—"
        zone = ZoneInfo(tz) if tz else None
        return dates.format_datetime(value, "medium", tzinfo=zone, locale=self.locale)

    def money(self, amount: str | Decimal | int | float | None, currency: str) -> str:
        if amount is None:
            return "—"
        return numbers.format_currency(Decimal(str(amount)), currency, locale=self.locale)

    def number(self, value: int | float) -> str:
        return numbers.format_decimal(value, locale=self.locale)

    def percent(self, value: float | None) -> str:
        if value is None:
            return "—"
        return numbers.format_percent(value, "#,##0.0%", locale=self.locale)
