from datetime import datetime

import pytest

from qilucrawl.clean.dates import (
    BEIJING,
    FLAG_FUTURE,
    FLAG_INVALID,
    FLAG_MISSING,
    FLAG_NO_YEAR,
    FLAG_YEAR_BORROWED,
    date_from_info_code,
    date_from_url,
    parse_datetime,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=BEIJING)


@pytest.mark.parametrize(
    "text, iso, precision",
    [
        ("2022-02-20 16:17:15", "2022-02-20T16:17:15+08:00", "second"),
        ("2022年02月20日 16:17", "2022-02-20T16:17:00+08:00", "minute"),
        ("2022年2月20日16时17分", "2022-02-20T16:17:00+08:00", "minute"),
        ("2022/2/20 9:05", "2022-02-20T09:05:00+08:00", "minute"),
        ("2022.02.20", "2022-02-20T00:00:00+08:00", "day"),
        ("2022-02-20T08:17:15Z", "2022-02-20T16:17:15+08:00", "second"),
        ("2022-02-20T16:17:15+08:00", "2022-02-20T16:17:15+08:00", "second"),
        ("2022-02-20 16:17:15 +0800", "2022-02-20T16:17:15+08:00", "second"),
        ("发布时间：2021-12-08 10:46:18 来源：齐鲁网", "2021-12-08T10:46:18+08:00", "second"),
        ("1645345035", "2022-02-20T16:17:15+08:00", "second"),
        ("1645345035000", "2022-02-20T16:17:15+08:00", "second"),
        ("20220220", "2022-02-20T00:00:00+08:00", "day"),
    ],
)
def test_forms_the_sources_use(text, iso, precision):
    parsed = parse_datetime(text, now=NOW)
    assert (parsed.iso, parsed.precision) == (iso, precision)


def test_date_without_year_is_flagged_not_guessed():
    parsed = parse_datetime("02-20 16:17", now=NOW)
    assert parsed.iso is None and parsed.flags == [FLAG_NO_YEAR]


def test_date_without_year_takes_the_year_from_context_and_says_so():
    parsed = parse_datetime("02-20 16:17", year_hint=2022, now=NOW)
    assert parsed.iso == "2022-02-20T16:17:00+08:00"
    assert FLAG_YEAR_BORROWED in parsed.flags


@pytest.mark.parametrize("text", ["0000-00-00", "2022-13-45", "1899-01-01", "+0800 12"])
def test_impossible_dates_are_invalid(text):
    parsed = parse_datetime(text, now=NOW)
    assert parsed.iso is None and FLAG_INVALID in parsed.flags


@pytest.mark.parametrize("text", ["2099-01-01", "2026-12-25 08:00"])
def test_future_dates_are_flagged(text):
    parsed = parse_datetime(text, now=NOW)
    assert parsed.iso is None and parsed.flags == [FLAG_FUTURE]


def test_an_hour_ahead_is_clock_skew_not_the_future():
    assert parse_datetime("2026-11-22 13:00", now=NOW).ok


@pytest.mark.parametrize("text", [None, "", "   ", " +0800", "+0800"])
def test_missing_dates(text):
    assert parse_datetime(text, now=NOW).flags == [FLAG_MISSING]


def test_dates_in_urls_and_info_codes():
    assert str(date_from_url("https://news.iqilu.com/shandong/20220220/5012345.shtml")) == "2022-02-20"
    assert str(date_from_url("http://news.iqilu.com/shandong/yuanchuang/2021/1208/5012345.shtml")) == "2021-12-08"
    assert date_from_url("http://example.com/list_564_2.shtml") is None
    assert str(date_from_info_code("NW202202202282305213")) == "2022-02-20"
    assert date_from_info_code("NW20220230228230521X") is None


def test_a_month_without_a_day_is_kept_at_month_precision_and_flagged():
    from qilucrawl.items import FLAG_MONTH_ONLY

    parsed = parse_datetime("1998年3月号", now=NOW)
    assert (parsed.iso, parsed.precision, parsed.flags) == ("1998-03-01T00:00:00+08:00", "month", [FLAG_MONTH_ONLY])
    assert parse_datetime("2022年2月20日", now=NOW).precision == "day"
    assert parse_datetime("2000-2006", now=NOW).iso is None
