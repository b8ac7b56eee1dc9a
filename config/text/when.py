"""Dates and times in customer Russian: «завтра», «в пятницу», «после обеда», «в 15:30», «к 10»."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import msgspec

from config.text.analyse import Analysed

__all__ = ["When", "find_when", "format_when"]

_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_DATE = re.compile(r"^(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])(?:\.(\d{2,4}))?$")
_HOUR = re.compile(r"^([01]?\d|2[0-3])$")
WEEKDAYS = {
    "понедельник": 0,
    "вторник": 1,
    "среда": 2,
    "четверг": 3,
    "пятница": 4,
    "суббота": 5,
    "воскресенье": 6,
    "дүйсенбі": 0,
    "сейсенбі": 1,
    "сәрсенбі": 2,
    "бейсенбі": 3,
    "жұма": 4,
    "сенбі": 5,
    "жексенбі": 6,
}
WEEKDAY_NAMES = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
MONTHS = {
    "январь": 1,
    "февраль": 2,
    "март": 3,
    "апрель": 4,
    "май": 5,
    "июнь": 6,
    "июль": 7,
    "август": 8,
    "сентябрь": 9,
    "октябрь": 10,
    "ноябрь": 11,
    "декабрь": 12,
}
MONTH_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
RELATIVE = {"сегодня": 0, "бүгін": 0, "завтра": 1, "ертең": 1, "послезавтра": 2}
PARTS = {
    "утро": "утром",
    "утром": "утром",
    "вечер": "вечером",
    "вечером": "вечером",
    "день": "днём",
    "днем": "днём",
    "обед": "после обеда",
}
EVENING_WORDS = {"вечер", "вечером", "вечера"}


class When(msgspec.Struct, frozen=True, kw_only=True):
    """What a message says about a date and a time; ``spans`` are token ranges used."""

    day: date | None = None
    weekend: bool = False
    week: str = ""
    time: str | None = None
    part: str | None = None
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def empty(self) -> bool:
        return (
            self.day is None
            and not self.weekend
            and not self.week
            and self.time is None
            and self.part is None
        )


def _next_weekday(today: date, weekday: int) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _explicit_day(today: date, day: int, month: int) -> date | None:
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    return candidate if candidate >= today else date(today.year + 1, month, day)


def _is_clock(tok: str, prev: str) -> bool:
    """«15:30» is a time; «14.03» is a date unless it reads as a time («в 10.30»)."""
    if ":" in tok:
        return bool(_TIME.match(tok))
    m = _TIME.match(tok)
    if not m:
        return False
    minutes = int(m.group(2))
    return not _DATE.match(tok) or (prev in ("в", "к", "с", "до", "на") and minutes % 5 == 0)


def find_when(message: Analysed, now: datetime) -> When:
    """Extract the first date and the first time mentioned, resolved against ``now``."""
    today = now.date()
    day: date | None = None
    weekend = False
    week = ""
    time: str | None = None
    part: str | None = None
    spans: list[tuple[int, int]] = []
    toks, lems = message.tokens, message.lemmas
    for i, (tok, lem) in enumerate(zip(toks, lems, strict=True)):
        nxt = lems[i + 1] if i + 1 < len(lems) else ""
        prev = toks[i - 1] if i else ""
        if day is None and tok in RELATIVE:
            day = today + timedelta(days=RELATIVE[tok])
            spans.append((i, i + 1))
        elif day is None and lem in WEEKDAYS:
            day = _next_weekday(today, WEEKDAYS[lem])
            spans.append((i, i + 1))
        elif day is None and lem in ("выходной", "выходные") and prev in ("на", "в"):
            weekend = True
            spans.append((i, i + 1))
        elif (
            day is None and not week and lem == "неделя" and prev in ("следующей", "этой", "следующая", "эту")
        ):
            week = "на этой неделе" if prev in ("этой", "эту") else "на следующей неделе"
            spans.append((i - 1, i + 1))
        elif day is None and (m := _DATE.match(tok)) and not _is_clock(tok, prev):
            day = _explicit_day(today, int(m.group(1)), int(m.group(2)))
            spans.append((i, i + 1))
        elif day is None and tok.isdigit() and nxt in MONTHS and 1 <= int(tok) <= 31:
            day = _explicit_day(today, int(tok), MONTHS[nxt])
            spans.append((i, i + 2))
        elif (
            time is None and (m := _TIME.match(tok)) and not prev.isdigit() and (_is_clock(tok, prev) or day)
        ):
            time = f"{int(m.group(1))}:{m.group(2)}"
            spans.append((i, i + 1))
        elif (
            time is None
            and _HOUR.match(tok)
            and prev in ("в", "к", "на", "с")
            and nxt not in MONTHS
            and nxt not in ("минута", "час", "день", "неделя", "год", "раз", "%", "процент", "тысяча")
        ):
            hour = int(tok)
            if (nxt in EVENING_WORDS and hour < 12) or (hour < 8 and nxt not in ("утро", "утром", "утра")):
                hour += 12
            time = f"{hour}:00"
            spans.append((i - 1, i + 1))
        elif (part is None and tok in ("вечером", "утром", "днем")) or (
            part is None and lem in ("вечер", "утро") and prev in ("в", "на", "с", "под")
        ):
            part = PARTS.get(tok) or PARTS.get(lem)
            spans.append((i, i + 1))
        elif part is None and lem == "обед" and prev == "после":
            part = "после обеда"
            spans.append((i - 1, i + 1))
    return When(day=day, weekend=weekend, week=week, time=time, part=part, spans=tuple(spans))


def format_when(when: When, today: date) -> str:
    """Human text for a booking summary: «пятница, 27 ноября, 15:30»."""
    bits: list[str] = []
    if when.day is not None:
        rel = {0: "сегодня", 1: "завтра", 2: "послезавтра"}.get((when.day - today).days)
        label = f"{WEEKDAY_NAMES[when.day.weekday()]}, {when.day.day} {MONTH_GENITIVE[when.day.month - 1]}"
        bits.append(f"{rel} ({label})" if rel else label)
    elif when.weekend:
        bits.append("выходные")
    elif when.week:
        bits.append(when.week)
    if when.time:
        bits.append(when.time)
    elif when.part:
        bits.append(when.part)
    return ", ".join(bits)
