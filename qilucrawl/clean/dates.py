"""Publish times in every form the sources use, to ISO 8601 in Beijing time (+08:00).

A time is never guessed silently: a date without a year (and no year to borrow from the URL or
the list), an impossible date or one in the future comes back as ``None`` with a flag saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from qilucrawl.items import FLAG_FUTURE, FLAG_INVALID, FLAG_MISSING, FLAG_MONTH_ONLY, FLAG_NO_YEAR, FLAG_YEAR_BORROWED

BEIJING = timezone(timedelta(hours=8))
# Clocks differ and feeds publish ahead of time by minutes; a day ahead is not a clock error.
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST_YEAR = 1990  # the web news archives start in the 1990s


@dataclass(slots=True)
class ParsedTime:
    iso: str | None  # "2022-02-20T16:17:15+08:00"
    precision: str | None = None  # "month", "day", "minute" or "second"
    flags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.iso is not None


_SEP = r"\s*[-/.年月]\s*"
_DATE = rf"(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})\s*日?"
_SHORT_DATE = r"(?<![\d:])(?P<m>\d{1,2})\s*[-/月]\s*(?P<d>\d{1,2})\s*日?"
# A 12-hour clock says so: "下午3:20" before the time, "9:23:57 PM" after it.
_HALF_DAY = r"(?P<cn>上午|早上|凌晨|下午|晚上)?"
_MERIDIEM = r"(?:\s*(?P<ap>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?"
_TIME = (
    rf"(?:\s*[T\s]?\s*{_HALF_DAY}\s*(?P<H>\d{{1,2}})\s*[:：时]\s*(?P<M>\d{{1,2}})"
    rf"(?:\s*[:：分]\s*(?P<S>\d{{1,2}})(?:\.\d+)?\s*秒?)?\s*分?{_MERIDIEM})?"
)
_ZONE = r"(?:\s*(?P<z>Z|[+-]\d{2}:?\d{2}|(?:GMT|UTC)[+-]?\d{0,2}))?"
_FULL = re.compile(rf"(?<!\d){_DATE}{_TIME}{_ZONE}(?!\d)")
_NO_YEAR = re.compile(rf"{_SHORT_DATE}{_TIME}(?!\d)")
# Month first, year last, as en-US servers print it: "9/17/2004 5:54:13 AM".  Read only when the
# clock says AM/PM or one of the two numbers cannot be a month; "7/5/2005" alone is ambiguous.
_MONTH_FIRST = re.compile(rf"(?<![\d/])(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})/(?P<y>\d{{4}}){_TIME}(?![\d/])")
_COMPACT = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?:(?P<H>[0-2]\d)(?P<M>[0-5]\d)(?P<S>[0-5]\d)?)?(?!\d)"
)
_ZONE_ONLY = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|GMT|UTC|CST)")
# A month with its year and no day: "1998年3月", "1998年3月号" (magazines, old sites).
_YEAR_MONTH = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?!\s*\d)")
_EPOCH = re.compile(r"^\s*(\d{10}|\d{13})\s*$")
# Dates inside URLs: /2022/0220/, /20220220/, /2022-02-20/, 2022_02_20
_URL_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<s>[/_-]?)(?P<m>[01]\d)(?P=s)?/?(?P<d>[0-3]\d)(?!\d)")


def parse_datetime(
    text: str | float | None,
    *,
    year_hint: int | None = None,
    now: datetime | None = None,
) -> ParsedTime:
    """Read the first date (and time) in ``text``.

    ``year_hint`` supplies the year for "02-20 16:17" (from the URL or the list); without it
    such a date is flagged, not guessed.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return ParsedTime(None, flags=[FLAG_MISSING])
    if isinstance(text, (int, float)) or _EPOCH.match(str(text)):
        return _from_epoch(float(text), now)
    text = str(text)
    if not _ZONE_ONLY.sub("", text).strip():  # " +0800": an archive's empty date
        return ParsedTime(None, flags=[FLAG_MISSING])
    match = _FULL.search(text) or _month_first(text)
    flags: list[str] = []
    if match is None and (month := _YEAR_MONTH.search(text)) is not None:
        parsed = _build(int(month["y"]), {"m": month["m"], "d": "1"}, now, [FLAG_MONTH_ONLY])
        if parsed.ok:
            parsed.precision = "month"
        return parsed
    if match is None:
        match = _NO_YEAR.search(text)
        if match is None:
            match = _COMPACT.search(text)
            if match is None:
                invalid = bool(re.search(r"\d", text))
                return ParsedTime(None, flags=[FLAG_INVALID if invalid else FLAG_MISSING])
        elif year_hint is None:
            return ParsedTime(None, flags=[FLAG_NO_YEAR])
        else:
            flags.append(FLAG_YEAR_BORROWED)
    parts = match.groupdict()
    year = int(parts.get("y") or year_hint or 0)
    return _build(year, parts, now, flags)


def _month_first(text: str) -> re.Match | None:
    match = _MONTH_FIRST.search(text)
    if match is None:
        return None
    month, day = int(match["m"]), int(match["d"])
    if match["ap"] or (day > 12 >= month):
        return match
    return None


def _build(year: int, parts: dict, now: datetime | None, flags: list[str]) -> ParsedTime:
    try:
        hour, minute, second = (int(parts.get(k) or 0) for k in ("H", "M", "S"))
        hour = _twenty_four(hour, parts.get("ap"), parts.get("cn"))
        moment = datetime(year, int(parts["m"]), int(parts["d"]), hour, minute, second)
    except (ValueError, TypeError):
        return ParsedTime(None, flags=flags + [FLAG_INVALID])
    if year < EARLIEST_YEAR:
        return ParsedTime(None, flags=flags + [FLAG_INVALID])
    zone = _zone(parts.get("z"))
    aware = moment.replace(tzinfo=zone or BEIJING).astimezone(BEIJING)
    if aware > (now or datetime.now(BEIJING)) + FUTURE_TOLERANCE:
        return ParsedTime(None, flags=flags + [FLAG_FUTURE])
    precision = "second" if parts.get("S") else "minute" if parts.get("H") else "day"
    return ParsedTime(aware.isoformat(), precision, flags)


def _twenty_four(hour: int, meridiem: str | None, half_day: str | None) -> int:
    """The hour on a 24-hour clock; "2005-04-27 14:32PM" (24-hour with a stray PM) stays."""
    afternoon = (meridiem or "").lower().startswith("p") or half_day in ("下午", "晚上")
    morning = (meridiem or "").lower().startswith("a") or half_day in ("上午", "早上", "凌晨")
    if afternoon and 1 <= hour < 12:
        return hour + 12
    if morning and hour == 12:
        return 0
    return hour


def _zone(raw: str | None) -> timezone | None:
    if not raw:
        return None
    if raw == "Z":
        return UTC
    raw = raw.replace("GMT", "").replace("UTC", "") or "+00"
    sign = -1 if raw.startswith("-") else 1
    digits = raw.lstrip("+-").replace(":", "")
    hours, minutes = int(digits[:2] or 0), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_epoch(value: float, now: datetime | None) -> ParsedTime:
    if value > 1e11:  # milliseconds
        value /= 1000
    try:
        moment = datetime.fromtimestamp(value, BEIJING)
    except (OverflowError, OSError, ValueError):
        return ParsedTime(None, flags=[FLAG_INVALID])
    if moment.year < EARLIEST_YEAR:
        return ParsedTime(None, flags=[FLAG_INVALID])
    if moment > (now or datetime.now(BEIJING)) + FUTURE_TOLERANCE:
        return ParsedTime(None, flags=[FLAG_FUTURE])
    return ParsedTime(moment.replace(microsecond=0).isoformat(), "second")


def date_from_url(url: str | None) -> date | None:
    """The date an article URL carries (``/2022/0220/``, ``/20220220/``), if any."""
    if not url:
        return None
    for match in _URL_DATE.finditer(url):
        try:
            found = date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            continue
        if found.year >= EARLIEST_YEAR:
            return found
    return None


_INFO_CODE_DATE = re.compile(r"[A-Z]{2}(\d{4})(\d{2})(\d{2})\d{10}")


def date_from_info_code(info_code: str | None) -> date | None:
    """The date in an infoCode: ``NW202202202282305213`` -> 2022-02-20."""
    if not info_code:
        return None
    match = _INFO_CODE_DATE.fullmatch(info_code)
    if match is None:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def now_iso() -> str:
    """The current time, as stored in the archive's bookkeeping columns."""
    return datetime.now(BEIJING).isoformat(timespec="seconds")


def iso_option(value: str) -> str:
    """A day or a time given on the command line (ISO 8601: ``2026-01-01``, ``2026-01-01 08:00``,
    ``2026-01-01T08:00:00+00:00``) as the ISO prefix stored times compare with: the day alone,
    or the time in Beijing time (a time without a zone is a Beijing time).  ValueError else."""
    text = value.strip()
    moment = datetime.fromisoformat(text)  # ValueError for anything else
    if len(text) <= 10:
        return moment.date().isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")
