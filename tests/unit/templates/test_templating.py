from datetime import UTC, datetime, timedelta

import pytest

from oncall.templates import engine as templating
from oncall.templates.engine import check_syntax, is_truthy, render, render_condition, render_title


@pytest.mark.parametrize("output", ["1", "true", "True", " ok \n", "OK"])
def test_truthy_outputs(output):
    assert is_truthy(output)


@pytest.mark.parametrize("output", ["", "0", "false", "yes", "okay", "None", None])
def test_falsy_outputs(output):
    assert not is_truthy(output)


def test_condition_errors_count_as_false():
    # given a template that fails at render time
    # when it is used as a condition
    # then it is simply false
    assert render_condition("{{ payload.a.b.c }}", {"payload": {}}) is False
    assert render_condition("{% if %}", {"payload": {}}) is False
    assert render_condition(None, {"payload": {}}) is False


def test_syntax_error_is_a_template_error():
    result = render("{{ payload.x ", {"payload": {}})
    assert not result.ok
    assert result.value.startswith("Template Error: ")


def test_chained_undefined_is_a_warning():
    result = render("{{ payload.missing.deeper }}", {"payload": {}})
    assert result.value.startswith("Template Warning: ")


def test_missing_key_renders_empty():
    assert render("[{{ payload.missing }}]", {"payload": {}}).text == "[]"


def test_range_is_restricted():
    result = render("{% for i in range(3) %}{{ i }}{% endfor %}", {})
    assert result.error is not None and "range" in result.error


def test_sandbox_blocks_attribute_escape():
    result = render("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
    assert result.error is not None


def test_dict_methods_allowed_like_oncall():
    # OnCall's default templates call .copy() and .pop() on dicts: not the immutable sandbox
    assert render("{% set a = payload.copy() %}{{ a.pop('x') }}", {"payload": {"x": "y"}}).text == "y"


def test_title_truncated_with_dots():
    result = render_title("{{ 'a' * 600 }}", {})
    assert result.text == "a" * 500 + ".."


def test_output_truncated():
    assert len(render("{{ 'b' * 60000 }}", {}).text) == templating.MAX_RESULT_LENGTH + 2


def test_template_too_long_is_an_error():
    assert check_syntax("x" * (templating.MAX_TEMPLATE_LENGTH + 1)).startswith("Template Error")


def test_templates_are_compiled_once():
    templating._compile.cache_clear()
    for _ in range(5):
        render("{{ payload.a }}-cached", {"payload": {"a": 1}})
    assert templating._compile.cache_info().misses == 1


def test_filters():
    ctx = {"payload": {"t": "2026-11-27T10:00:00Z", "b": "aGVsbG8=", "j": '{"k": 2}', "n": 0}}
    assert render("{{ payload.t | iso8601_to_time | datetimeformat('%Y/%m/%d') }}", ctx).text == "2026/11/27"
    assert render("{{ payload.b | b64decode }}", ctx).text == "hello"
    assert render("{{ (payload.j | parse_json).k }}", ctx).text == "2"
    assert render("{{ 'abc' | regex_replace('b', 'X') }}", ctx).text == "aXc"
    assert render("{{ 'abc' | regex_match('b') }}", ctx).text == "False"
    assert render("{{ 'abc' | regex_search('b') }}", ctx).text == "True"
    assert render("{{ payload | tojson_pretty }}", {"payload": {"b": 1, "a": "é"}}).text == (
        '{\n    "a": "é",\n    "b": 1\n}'
    )
    # naive, in server-local time (UTC on Lambda), like OnCall
    assert render("{{ payload.n | timestamp_to_datetime }}", ctx).text == "1970-01-01 00:00:00"


def test_timedeltaparse():
    assert templating.timedeltaparse("5m") == timedelta(minutes=5)
    assert templating.timedeltaparse("-2d") == timedelta(days=-2)
    assert templating.timedeltaparse("1M") is None
    assert templating.timedeltaparse("soon") is None


def test_failing_filter_returns_none():
    assert render("{{ 'x' | b64decode }}", {}).text == "None"


def test_datetimeformat_as_timezone():
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    out = render("{{ m | datetimeformat_as_timezone('%H:%M', 'Europe/Paris') }}", {"m": moment})
    assert out.text == "14:00"


def test_time_is_now_from_the_injected_clock():
    from oncall.platform import clock
    from tests.fakes import FixedClock

    fixed = FixedClock(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    previous = clock.default_clock()
    clock.use_clock(fixed)
    try:
        assert render("{{ time().isoformat() }}", {}).text == "2026-03-01T09:30:00+00:00"
        since = render("{{ (time() - payload.t | iso8601_to_time).seconds }}", {"payload": {"t": "2026-03-01T09:00Z"}})
        assert since.text == "1800"
    finally:
        clock.use_clock(previous)


def test_time_zone_names_are_case_insensitive_like_pytz():
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert templating.datetimeformat_as_timezone(moment, "%H:%M", "europe/paris") == "14:00"


def test_lipsum_is_bounded():
    assert render("{{ lipsum(5, false) | length > 0 }}", {}).text == "True"
    assert len(render("{{ lipsum(100000) }}", {}).text) < templating.MAX_RESULT_LENGTH + 3
