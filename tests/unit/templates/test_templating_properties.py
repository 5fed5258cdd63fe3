"""Properties of the template engine: OnCall's truthiness rule, the size limits, and the filters (which
never raise, and invert their inverses)."""

from __future__ import annotations

import base64
import json
import string
from datetime import UTC, datetime, timedelta, timezone

import regex
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from oncall.templates import engine as templating
from oncall.templates.engine import (
    FILTERS,
    MAX_RESULT_LENGTH,
    MAX_TEMPLATE_LENGTH,
    MAX_TITLE_LENGTH,
    check_syntax,
    is_truthy,
    render,
    render_condition,
    render_title,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TRUTHY_WORDS = ["1", "true", "ok"]
WHITESPACE = st.text(alphabet=" \t\n\r\x0b\x0c", max_size=5)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
ANY_VALUE = JSON_VALUES | st.binary(max_size=20) | st.datetimes() | st.timedeltas()


# ------------------------------------------------------------------------------------------ truthiness
@SETTINGS
@given(st.text())
def test_truthiness_is_stripped_lowercased_membership(output):
    assert is_truthy(output) == (output.strip().lower() in {"1", "true", "ok"})


@SETTINGS
@given(st.sampled_from(TRUTHY_WORDS), WHITESPACE, WHITESPACE, st.lists(st.booleans(), min_size=4, max_size=4))
def test_any_casing_and_padding_of_the_truthy_words_is_true(word, before, after, upper):
    cased = "".join(c.upper() if flag else c for c, flag in zip(word, upper * 2, strict=False))
    assert is_truthy(before + cased + after)
    assert render_condition("{{ payload.v }}", {"payload": {"v": before + cased + after}})


@SETTINGS
@given(st.text(max_size=50))
def test_a_condition_is_the_truthiness_of_its_output(value):
    assert render_condition("{{ payload.v }}", {"payload": {"v": value}}) == is_truthy(value)


@SETTINGS
@given(st.booleans())
def test_python_booleans_render_as_true_and_false(flag):
    # `{{ x == y }}` renders True/False: "True" is truthy, "False" is not
    assert render_condition("{{ payload.flag == true }}", {"payload": {"flag": flag}}) is flag


@SETTINGS
@given(st.text(max_size=30))
def test_broken_conditions_are_false_whatever_the_payload(value):
    assert render_condition("{{ payload.v.x.y }}", {"payload": {"v": value}}) is False
    assert render_condition("{% if %}", {"payload": {"v": value}}) is False


# ------------------------------------------------------------------------------------------ limits
@SETTINGS
@given(st.integers(min_value=0, max_value=2 * MAX_RESULT_LENGTH))
def test_output_is_cut_at_the_limit_with_two_dots(length):
    text = render("{{ payload.s }}", {"payload": {"s": "x" * length}}).text
    if length <= MAX_RESULT_LENGTH:
        assert text == "x" * length
    else:
        assert text == "x" * MAX_RESULT_LENGTH + ".."


@SETTINGS
@given(st.text(min_size=0, max_size=2 * MAX_TITLE_LENGTH))
def test_titles_are_cut_at_500_with_two_dots(title):
    text = render_title("{{ payload.t }}", {"payload": {"t": title}}).text
    assert text == (title if len(title) <= MAX_TITLE_LENGTH else title[:MAX_TITLE_LENGTH] + "..")


@SETTINGS
@given(st.integers(min_value=MAX_TEMPLATE_LENGTH - 3, max_value=MAX_TEMPLATE_LENGTH + 3))
def test_templates_longer_than_the_limit_are_errors(length):
    template = "x" * length
    error = check_syntax(template)
    if length <= MAX_TEMPLATE_LENGTH:
        assert error is None and render(template, {}).text == template
    else:
        assert error is not None and error.startswith("Template Error: ")
        assert render(template, {}).value == error


def test_limits_follow_the_environment(monkeypatch):
    # OnCall's env names override the limits
    from oncall.platform.settings import get_settings

    monkeypatch.setenv("JINJA_RESULT_TITLE_MAX_LENGTH", "10")
    monkeypatch.setenv("JINJA_TEMPLATE_MAX_LENGTH", "20")
    get_settings.cache_clear()
    try:
        assert render_title("{{ 'y' * 30 }}", {}).text == "y" * 10 + ".."
        assert check_syntax("z" * 21) is not None
    finally:
        get_settings.cache_clear()


# ------------------------------------------------------------------------------------------ filters
@SETTINGS
@given(st.sampled_from(sorted(FILTERS)), ANY_VALUE, st.lists(ANY_VALUE, max_size=2))
def test_filters_never_raise(name, value, args):
    FILTERS[name](value, *args)  # a failing filter yields None


@SETTINGS
@given(st.sampled_from(sorted(FILTERS)), ANY_VALUE)
def test_filters_never_break_a_render(name, value):
    result = render("{{ payload.v | " + name + " }}", {"payload": {"v": value}})
    assert result.ok, result.error


@SETTINGS
@given(st.text())
def test_b64decode_inverts_base64(text):
    assert templating.b64decode(base64.b64encode(text.encode()).decode()) == text


@SETTINGS
@given(JSON_VALUES)
def test_parse_json_inverts_json_dumps_and_tojson_pretty(value):
    assert templating.parse_json(templating.json_dumps(value)) == value
    pretty = templating.tojson_pretty(value)
    assert templating.parse_json(pretty) == value
    assert pretty == json.dumps(value, sort_keys=True, indent=4, separators=(",", ": "), ensure_ascii=False)


@SETTINGS
@given(st.integers(min_value=-(10**6), max_value=10**6), st.sampled_from("smhdw"), st.sampled_from(["", "+"]))
def test_timedeltaparse_reads_amount_and_unit(amount, unit, sign):
    assume(not (sign == "+" and amount < 0))
    names = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    assert templating.timedeltaparse(f"{sign}{amount}{unit}") == timedelta(**{names[unit]: amount})


@SETTINGS
@given(st.integers(min_value=0, max_value=999), st.sampled_from("MQy"))
def test_timedeltaparse_has_no_length_for_months_quarters_years(amount, unit):
    assert templating.timedeltaparse(f"{amount}{unit}") is None


@SETTINGS
@given(st.text())
def test_timedeltaparse_rejects_anything_else(text):
    assume(regex.fullmatch(r"[-+]?\d+[smhdwMQy]", text) is None)
    assert templating.timedeltaparse(text) is None


@SETTINGS
@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), None])))
def test_iso8601_to_time_inverts_isoformat(moment):
    assert templating.iso8601_to_time(moment.isoformat()) == moment
    assert templating.iso8601_to_time(moment.isoformat(sep=" ")) == moment


@SETTINGS
@given(st.text(alphabet=string.ascii_letters + " !?", max_size=20))
def test_iso8601_to_time_is_none_for_garbage(text):
    assert templating.iso8601_to_time(text) is None


def test_iso8601_to_time_follows_django_parse_datetime():
    parse = templating.iso8601_to_time
    # Z and offsets, as fromisoformat
    assert parse("2026-11-27T10:00:00Z") == datetime(2026, 11, 27, 10, tzinfo=UTC)
    # Django's own grammar where fromisoformat refuses: one-digit fields, comma fractions, space before offset
    assert parse("2026-1-2 3:4") == datetime(2026, 1, 2, 3, 4)
    assert parse("2026-01-02T03:04:05,5 +0200") == datetime(
        2026, 1, 2, 3, 4, 5, 500000, tzinfo=timezone(timedelta(hours=2))
    )
    assert parse("2026-01-02T03:04:05.1234567-07") == datetime(
        2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(timedelta(hours=-7))
    )
    # well formed but impossible, or not a string: None
    assert parse("2026-13-02T03:04") is None
    assert parse(1735689600) is None and parse(None) is None


@SETTINGS
@given(st.integers(min_value=0, max_value=4_000_000_000))
def test_timestamp_to_datetime_is_naive_utc(seconds):
    moment = templating.timestamp_to_datetime(seconds)
    assert moment.tzinfo is None
    assert moment.replace(tzinfo=UTC).timestamp() == seconds
    assert templating.timestamp_to_datetime(str(seconds)) is None  # OnCall passes the value as is


@SETTINGS
@given(
    st.datetimes(timezones=st.just(UTC)), st.sampled_from(["UTC", "Europe/Paris", "america/new_york", "Asia/Kolkata"])
)
def test_datetimeformat_as_timezone_converts_and_treats_naive_as_utc(moment, zone):
    aware = templating.datetimeformat_as_timezone(moment, "%Y-%m-%d %H:%M", zone)
    naive = templating.datetimeformat_as_timezone(moment.replace(tzinfo=None), "%Y-%m-%d %H:%M", zone)
    assert aware == naive is not None
    assert templating.datetimeformat_as_timezone(moment, "%H:%M", "Not/AZone") is None


@SETTINGS
@given(st.datetimes(min_value=datetime(1900, 1, 1)), st.sampled_from(["%H:%M / %d-%m-%Y", "%Y-%m-%dT%H:%M:%S"]))
def test_datetimeparse_inverts_datetimeformat(moment, fmt):
    moment = moment.replace(microsecond=0, second=moment.second if "%S" in fmt else 0)
    assert templating.datetimeparse(templating.datetimeformat(moment, fmt), fmt) == moment


@SETTINGS
@given(st.text(max_size=30), st.text(min_size=1, max_size=5), st.text(alphabet=string.ascii_letters, max_size=5))
def test_regex_filters_agree_with_plain_string_operations(text, needle, replacement):
    pattern = regex.escape(needle)
    assert templating.regex_search(text, pattern) == (needle in text)
    assert templating.regex_match(text, pattern) == text.startswith(needle)
    assert templating.regex_replace(text, pattern, replacement) == text.replace(needle, replacement)


@SETTINGS
@given(JSON_VALUES.filter(lambda v: not isinstance(v, str)), st.text(max_size=5))
def test_regex_filters_refuse_non_strings(value, pattern):
    # OnCall hands the value to the regex function as it is: a non-string is an error, hence None
    assert templating.regex_search(value, pattern) is None
    assert templating.regex_replace(value, pattern, "x") is None
