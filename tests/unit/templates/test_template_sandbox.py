"""Server-side template injection: well-known Jinja2 SSTI payloads must be blocked (a "Template Error") or
rendered harmless (nothing about Python's internals, the process or its secrets leaks, nothing runs)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from oncall.templates.engine import REGEX_TIMEOUT_SECONDS, render

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
    # added by the hardening review: indirect routes to the same internals
    "subclass index read": "{{ ''.__class__.__base__.__subclasses__()[40]('/etc/passwd').read() }}",
    "int class base": "{{ (1).__class__.__base__.__subclasses__() }}",
    "bases tuple": "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "mro last": "{{ ''.__class__.__mro__[-1].__subclasses__() }}",
    "getattribute": "{{ payload.__getattribute__('__class__') }}",
    "str.format globals": "{{ ''.format.__globals__ }}{{ ''.format.__self__.__class__ }}",
    "list method self": "{{ [].pop.__self__.__class__.__base__ }}",
    "cycler builtins open": "{{ cycler.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}",
    "lipsum builtins import": "{{ lipsum.__globals__.__builtins__.__import__('os').system('id') }}",
    "attr built by concat": "{{ payload|attr('_' ~ '_class_' ~ '_') }}",
    "attr built by join": "{{ payload|attr(['__cla', 'ss__']|join)|attr(['__ba', 'se__']|join) }}",
    "attr unicode escapes": "{{ payload|attr('\\u005f\\u005fclass\\u005f\\u005f') }}",
    "attr chain to subclasses call": "{{ (''|attr('__class__')|attr('__base__')|attr('__subclasses__'))() }}",
    "set then use": "{% set c = ''.__class__ %}{{ c.__mro__ }}",
    "with block": "{% with a = ''.__class__ %}{{ a.__base__ }}{% endwith %}",
    "map attribute": "{{ [payload]|map(attribute='__class__')|list }}",
    "selectattr": "{{ [payload]|selectattr('__class__')|list }}{{ [payload]|rejectattr('__init__')|list }}",
    "sort by dunder": "{{ [payload, payload]|sort(attribute='__class__.__name__') }}",
    "groupby dunder": "{{ [payload]|groupby('__class__') }}",
    "sum attribute": "{{ [payload]|sum(attribute='__class__') }}",
    "caller globals": (
        "{% macro m() %}{{ caller.__globals__ }}{{ caller._func }}{% endmacro %}{% call m() %}{% endcall %}"
    ),
    "loop cycle globals": "{% for x in [1] %}{{ loop.cycle.__globals__ }}{{ loop.__init__ }}{% endfor %}",
    "time() class": "{{ time().__class__.__subclasses__() }}{{ time().tzinfo.__class__.__module__ }}",
    "macro internals": "{% macro m() %}{% endmacro %}{{ m._func.__globals__ }}{{ m.__call__.__globals__ }}",
    "extends": "{% extends '/etc/passwd' %}",
    "debug extension": "{% debug %}",
    "dict global": "{{ dict.__init__.__globals__ }}{{ dict(a=1).__class__.__subclasses__() }}",
    "namespace class": "{% set ns = namespace() %}{{ ns.__class__.__init__.__globals__ }}",
    "b64decode to dunder": "{{ payload|attr('X19jbGFzc19f'|b64decode) }}",
    "parse_json object": "{{ ('{\"a\": 1}'|parse_json).__class__.__base__.__subclasses__() }}",
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


# ------------------------------------------------------------------------------------------ denial of service
# A template may be written carelessly (or by someone who means harm) and a payload may be large: every render
# has a budget of work and CPU, and output is collected only up to the limit (templating.py).
DOS_CONTEXT = {"payload": {"xs": list(range(1000)), "big": "y" * 1000, "text": "a" * 30 + "b"}}
DOS_PAYLOADS = {
    "three nested loops (10^9 iterations)": (
        "{% for a in payload.xs %}{% for b in payload.xs %}{% for c in payload.xs %}{% endfor %}{% endfor %}"
        "{% endfor %}done"
    ),
    "nested loops printing (1 GB of output)": (
        "{% for a in payload.xs %}{% for b in payload.xs %}{{ payload.big }}{% endfor %}{% endfor %}"
    ),
    "the same into a {% set %} block": (
        "{% set x %}{% for a in payload.xs %}{% for b in payload.xs %}{{ payload.big }}{% endfor %}{% endfor %}"
        "{% endset %}{{ x|length }}"
    ),
    "constant text in nested loops": "{% for a in payload.xs %}{% for b in payload.xs %}"
    + "z" * 500
    + "{% endfor %}{% endfor %}",
    "a string doubled by ~ (2^40)": (
        "{% set ns = namespace(s='x') %}{% for i in payload.xs[:40] %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
        "{{ ns.s|length }}"
    ),
    "a string doubled by +": (
        "{% set ns = namespace(s='x') %}{% for i in payload.xs[:40] %}{% set ns.s = ns.s + ns.s %}{% endfor %}"
        "{{ ns.s|length }}"
    ),
    "a list doubled by extend": (
        "{% set l = [1] %}{% for i in payload.xs[:40] %}{{ l.extend(l) }}{% endfor %}{{ l|length }}"
    ),
    "a dict grown by update": (
        "{% set d = {} %}{% for i in payload.xs %}{% for j in payload.xs %}{{ d.update({i * 1000 + j: payload.big}) }}"
        "{% endfor %}{% endfor %}{{ d|length }}"
    ),
    "slices copied in a loop": (
        "{% set l = [] %}{% for i in payload.xs %}{% for j in payload.xs %}{{ l.append(payload.big[:]) }}"
        "{% endfor %}{% endfor %}{{ l|length }}"
    ),
    "an int squared in a loop": (
        "{% set ns = namespace(n=3) %}{% for i in payload.xs[:40] %}{% set ns.n = ns.n * ns.n %}{% endfor %}"
        "{{ ns.n > 1 }}"
    ),
    "join with a big separator": "{{ (payload.xs * 1000)|join(payload.big)|length }}",
    "str.join with a big separator": "{{ payload.big.join(payload.xs * 1000)|length }}",
    "replace filter bomb": "{{ ('x' * 100000)|replace('', 'y' * 1000)|length }}",
    "translate bomb": "{{ ('x' * 100000).translate({120: 'y' * 100000})|length }}",
    "batch filled to a billion": "{{ [1]|batch(10**9, 'x')|list|length }}",
    "a billion slices": "{{ [1]|slice(10**9)|list|length }}",
    "macro fan-out": "{% macro r(n) %}{% for i in [1, 2] %}{{ r(n) }}{% endfor %}{% endmacro %}{{ r(1) }}",
    "macro called in nested loops": (
        "{% macro m() %}{{ payload.big }}{% endmacro %}{% for a in payload.xs %}{% for b in payload.xs %}{{ m() }}"
        "{% endfor %}{% endfor %}"
    ),
    "catastrophic regex in a loop": "{% for i in payload.xs %}{{ payload.text|regex_search('(a|aa)+$') }}{% endfor %}",
    "regex_replace in a loop": "{% for i in payload.xs %}{{ payload.text|regex_replace('(a|aa)+$', 'z') }}{% endfor %}",
    "tojson of a growing list": (
        "{% set l = [payload.xs] %}{% for i in payload.xs %}{{ l.append(l[-1] + payload.xs) }}{% endfor %}"
        "{{ l|tojson|length }}"
    ),
}


@pytest.fixture
def cpu_budget(monkeypatch):
    """A 0.5 s CPU budget keeps the tier fast; the mechanism is the same as with the default 4 s."""
    from oncall.platform.settings import get_settings

    monkeypatch.setenv("JINJA_RENDER_CPU_SECONDS", "0.5")
    get_settings.cache_clear()
    yield get_settings().jinja_render_cpu_seconds
    monkeypatch.delenv("JINJA_RENDER_CPU_SECONDS")
    get_settings.cache_clear()


@pytest.mark.parametrize("template", DOS_PAYLOADS.values(), ids=DOS_PAYLOADS.keys())
def test_denial_of_service_is_bounded_in_time_memory_and_output(template, cpu_budget):
    import tracemalloc

    # given a template that would run for hours or build gigabytes, over a 1000-item payload
    tracemalloc.start()
    cpu_started = time.process_time()
    try:
        result = render(template, DOS_CONTEXT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cpu = time.process_time() - cpu_started
    # then the render ends within its CPU budget (plus the slack of one slow step), under 256 MB, and either
    # refused ("Template Error: rendering needs more than …") or returned output cut at the limit
    assert cpu < cpu_budget + 2.0, cpu
    assert peak < 256 * 1024 * 1024, peak
    shown = result.text if result.text is not None else result.error
    assert len(shown) <= 50_002
    assert result.error is None or result.error.startswith("Template Error: "), result.error


def test_output_is_cut_while_rendering_not_after():
    # 10^6 x 1000 characters would be a gigabyte: the render stops once the limit is passed
    started = time.process_time()
    result = render(DOS_PAYLOADS["nested loops printing (1 GB of output)"], DOS_CONTEXT)
    assert time.process_time() - started < 1.0
    assert result.text == "y" * 50_000 + ".."


def test_real_templates_stay_well_within_the_budget():
    # a large Alertmanager notification (1000 alerts, each with labels and annotations), rendered in full
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": f"A{n}", "instance": f"host-{n}:9100", "severity": "page"},
            "annotations": {"summary": "x" * 100},
            "startsAt": "2026-01-01T00:00:00Z",
        }
        for n in range(1000)
    ]
    template = (
        "{% for alert in payload.alerts %}{{ alert.labels.alertname }} on {{ alert.labels.instance }}: "
        "{{ alert.annotations.summary | truncate(80) }} ({{ alert.startsAt | iso8601_to_time | datetimeformat }})\n"
        "{% for k, v in alert.labels.items() %}{{ k }}={{ v }} {% endfor %}\n{% endfor %}"
        "{{ payload | tojson_pretty | length }}"
    )
    result = render(template, {"payload": {"alerts": alerts}}, max_length=10**7)
    assert result.error is None and result.text.count("\n") == 2000


def test_the_budget_follows_the_settings(monkeypatch):
    from oncall.platform.settings import get_settings

    monkeypatch.setenv("JINJA_RENDER_MAX_WORK", "1000")
    get_settings.cache_clear()
    try:
        small = render("{% for i in payload.xs %}{{ i }}{% endfor %}", DOS_CONTEXT)
    finally:
        monkeypatch.delenv("JINJA_RENDER_MAX_WORK")
        get_settings.cache_clear()
    assert small.error.startswith("Template Error: rendering needs more than 1,000 units of work")
    assert render("{% for i in payload.xs %}{{ i }}{% endfor %}", DOS_CONTEXT).ok
