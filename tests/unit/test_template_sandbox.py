"""Server-side template injection: well-known Jinja2 SSTI payloads must be blocked (a "Template Error") or
rendered harmless (nothing about Python's internals, the process or its secrets leaks, nothing runs)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from oncall.templating import REGEX_TIMEOUT_SECONDS, render

CANARY = "s3cr3t-canary-value"
PWNED = Path("/tmp/oncall-sandbox-pwned")  # noqa: S108 - a marker file the payloads try to create
LEAK_MARKERS = (
    CANARY,
    "<class",
    "<function",
    "<built-in",
    "<module",
    "<bound method",
    "__builtins__",
    "subclasses",
    "uid=",
    "root:",
    "Popen",
    "os.environ",
    "environ(",
    "BaseLoader",
    "TemplateReference",
    "Context {",
)

PAYLOADS = {
    "mro subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "base subclasses": "{{ [].__class__.__base__.__subclasses__() }}",
    "subclass walk to catch_warnings": (
        "{% for c in ().__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}"
        "{{ c()._module.__builtins__['__import__']('os').popen('touch /tmp/oncall-sandbox-pwned').read() }}"
        "{% endif %}{% endfor %}"
    ),
    "payload class": "{{ payload.__class__ }}",
    "bound method self": "{{ payload.get.__self__.__class__ }}",
    "method globals": "{{ payload.copy.__func__ }}",
    "self globals": "{{ self.__init__.__globals__ }}",
    "self private context": "{{ self._TemplateReference__context }}",
    "cycler globals": "{{ cycler.__init__.__globals__.os.popen('touch /tmp/oncall-sandbox-pwned').read() }}",
    "joiner globals": "{{ joiner.__init__.__globals__.os.environ }}",
    "namespace globals": "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "lipsum globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "time() globals": "{{ time.__globals__ }}",
    "time module": "{{ time.__module__ }}{{ time.__code__ }}",
    "range globals": "{{ range.__globals__ }}",
    "dict global base": "{{ dict.__base__.__subclasses__() }}",
    "flask config": "{{ config.items() }}{{ config.__class__.__init__.__globals__['os'].environ }}",
    "flask request": "{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}",
    "flask helpers": "{{ url_for.__globals__ }}{{ get_flashed_messages.__globals__ }}",
    "attr filter": "{{ ''|attr('__class__')|attr('__mro__') }}",
    "attr filter hex escapes": "{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f')|attr('\\x5f\\x5fbase\\x5f\\x5f') }}",
    "attr filter on request": "{{ request|attr('application')|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}",
    "getitem dunder": "{{ payload['__class__'] }}{{ ''['__class__'] }}",
    "format string attribute": "{{ '{0.__class__.__mro__}'.format(payload) }}",
    "format string globals": "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "format_map": "{{ '{a.__class__}'.format_map({'a': payload}) }}",
    "format filter": "{{ '%s'|format(payload.__class__) }}",
    "namespace attribute write": "{% set ns = namespace() %}{% set ns.__class__ = 1 %}{{ ns }}",
    "environment via context": "{{ context }}{{ environment }}{{ _TemplateReference__context }}",
    "import statement": "{% import 'os' as os %}{{ os.system('id') }}",
    "include/extends": "{% include '/etc/passwd' %}",
    "loop internals": "{% for x in [1] %}{{ loop.__class__.__init__.__globals__ }}{% endfor %}",
    "env via filter": "{{ payload|tojson_pretty|attr('__class__') }}",
    "environ via labels": "{{ labels.__class__.__init__.__globals__ }}",
    "range restricted": "{% for i in range(10**9) %}{% endfor %}",
    "string repeat bomb": "{{ 'A' * 10**10 }}",
    "power bomb": "{{ 9 ** (9 ** 9) }}",
    "percent width bomb": "{{ '%999999999d' % 1 }}",
    "format width bomb": "{{ '{:>999999999}'.format(1) }}",
    "ljust bomb": "{{ 'x'.ljust(10**9) }}",
    "replace bomb": "{{ ('x' * 1000).replace('', 'y' * 1000) }}",
    "center filter bomb": "{{ 'x'|center(10**9) }}",
    "lipsum bomb": "{{ lipsum(10**7)|length > 10**6 }}",
    "recursion": "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}",
}


@pytest.fixture(autouse=True)
def _canary(monkeypatch):
    monkeypatch.setenv("ONCALL_TEST_SECRET", CANARY)
    PWNED.unlink(missing_ok=True)
    yield
    assert not PWNED.exists(), "a template ran a shell command"
    PWNED.unlink(missing_ok=True)


def test_there_are_at_least_twenty_payloads():
    assert len(PAYLOADS) >= 20


@pytest.mark.parametrize("template", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_injection_is_blocked_or_harmless(template):
    # given an attacker-controlled template and an ordinary context
    started = time.monotonic()
    result = render(template, {"payload": {"a": 1}, "labels": {"team": "x"}})
    # then it either fails as a template error, or renders nothing dangerous
    shown = result.text or ""
    assert not any(marker in shown for marker in LEAK_MARKERS), shown[:300]
    assert len(shown) <= 50_002
    assert CANARY not in (result.error or "")
    # and quickly: none of these may hang the worker
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "template",
    [
        PAYLOADS["mro subclasses"],
        PAYLOADS["self globals"],
        PAYLOADS["range restricted"],
        PAYLOADS["string repeat bomb"],
        PAYLOADS["power bomb"],
        PAYLOADS["percent width bomb"],
        PAYLOADS["format width bomb"],
        PAYLOADS["import statement"],
        PAYLOADS["recursion"],
    ],
)
def test_dangerous_ones_are_template_errors(template):
    result = render(template, {"payload": {}})
    assert result.error is not None and result.error.startswith("Template Error: ")


def test_payload_values_are_data_not_templates():
    # a payload that contains Jinja syntax is printed, never evaluated
    result = render("{{ payload.title }}", {"payload": {"title": "{{ ''.__class__ }} {% raw %}"}})
    assert result.text == "{{ ''.__class__ }} {% raw %}"


def test_ordinary_mutation_is_still_allowed():
    # OnCall's default templates pop keys from copies of dicts: not the immutable sandbox
    result = render("{% set n = payload.copy() %}{{ n.pop('a') }}{{ n }}", {"payload": {"a": 1, "b": 2}})
    assert result.text == "1{'b': 2}"


def test_catastrophic_regex_times_out_within_the_bound():
    # given a pattern with exponential backtracking on a non-matching input
    template = "{{ payload.text | regex_search('(a|aa)+$') }}"
    started, cpu_started = time.monotonic(), time.process_time()
    result = render(template, {"payload": {"text": "a" * 40 + "b"}})
    cpu = time.process_time() - cpu_started
    # then the filter gives up after REGEX_TIMEOUT_SECONDS and yields None instead of hanging. The regex
    # package counts CPU time (on a busy machine the wall time is longer; on Lambda they are about equal).
    assert result.text == "None"
    assert REGEX_TIMEOUT_SECONDS * 0.9 <= cpu < REGEX_TIMEOUT_SECONDS + 1.0
    assert time.monotonic() - started < 60
