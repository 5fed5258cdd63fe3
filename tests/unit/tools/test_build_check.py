"""`make build`'s checks (tools/build_check.py) and the translated-template cycle check (tools/translated_lint.py),
on small made-up inputs: each check must fail on the problem it exists for."""

from __future__ import annotations

import py_compile
import stat
from pathlib import Path

import pytest

from tools import build_check, translated_lint
from tools.build_check import BuildError, FunctionSpec, Resolver


# ------------------------------------------------------------------------------------------ Python 3.13
def _fake_python(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho 'Python {version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_a_python313_on_path_is_used(tmp_path):
    found = _fake_python(tmp_path / "bin" / "python3.13", "3.13.1")
    assert build_check.find_python313({"PATH": str(tmp_path / "bin")}, home=tmp_path) == found


def test_a_pyenv_shim_that_does_not_run_is_skipped_for_pyenvs_own_313(tmp_path):
    # given a shim on PATH that fails (pyenv's global version is another one) and pyenv holding 3.13.0
    shim = tmp_path / "shims" / "python3.13"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    real = _fake_python(tmp_path / "pyenv" / "versions" / "3.13.0" / "bin" / "python3.13", "3.13.0")

    found = build_check.find_python313({"PATH": str(shim.parent), "PYENV_ROOT": str(tmp_path / "pyenv")}, home=tmp_path)

    assert found == real


def test_without_any_python313_it_says_what_it_tried_and_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(build_check, "_python_version", lambda exe: "Python 3.11.7" if "bin" in exe else "")
    _fake_python(tmp_path / "bin" / "python3.13", "3.11.7")  # a liar: not 3.13
    with pytest.raises(BuildError) as error:
        build_check.find_python313({"PATH": str(tmp_path / "bin")}, home=tmp_path)
    message = str(error.value)
    assert "No Python 3.13 found" in message and "Python 3.11.7" in message
    assert "pyenv install 3.13" in message and "ONCALL_PYTHON313" in message


# ------------------------------------------------------------------------------------------ native libraries
def _elf(path: Path, machine: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + (3).to_bytes(2, "little") + machine.to_bytes(2, "little")
    path.write_bytes(header + bytes(44))


def test_a_native_library_for_another_architecture_is_reported(tmp_path):
    _elf(tmp_path / "pkg" / "_good.cpython-313-aarch64-linux-gnu.so", build_check.EM_AARCH64)
    _elf(tmp_path / "pkg" / "_bad.cpython-313-x86_64-linux-gnu.so", build_check.EM_X86_64)
    _elf(tmp_path / "pkg.libs" / "libffi.so.8.1.0", build_check.EM_X86_64)
    (tmp_path / "pkg" / "data.so").write_text("not an ELF file")

    found = build_check.foreign_libraries(tmp_path)

    assert sorted(found) == [
        "pkg.libs/libffi.so.8.1.0 (ELF machine 62)",
        "pkg/_bad.cpython-313-x86_64-linux-gnu.so (ELF machine 62)",
    ]


# ------------------------------------------------------------------------------------------ bytecode
def test_sources_without_unchecked_hash_bytecode_are_reported(tmp_path):
    for name in ("good", "stale", "missing"):
        (tmp_path / f"{name}.py").write_text("x = 1\n")
    cache = tmp_path / "__pycache__"
    mode = py_compile.PycInvalidationMode
    py_compile.compile(tmp_path / "good.py", cache / "good.cpython-313.pyc", invalidation_mode=mode.UNCHECKED_HASH)
    py_compile.compile(tmp_path / "stale.py", cache / "stale.cpython-313.pyc", invalidation_mode=mode.TIMESTAMP)

    problems = build_check.missing_bytecode(tmp_path)

    assert problems == [
        "missing.py: no missing.cpython-313.pyc",
        "stale.py: stale.cpython-313.pyc is not unchecked-hash",
    ]


def test_an_import_that_compiled_or_could_write_fails_the_check():
    spec = FunctionSpec("IngestFunction", "app.handler", {})
    clean = {"writable": [], "callable": True, "without_pyc": [], "not_unchecked_hash": [], "modules": 3}
    assert build_check.check_import(clean, spec) == []
    problems = build_check.check_import(
        {**clean, "writable": ["/opt/python"], "without_pyc": ["oncall.platform.http"]}, spec
    )
    assert len(problems) == 2 and "writable" in problems[0] and "oncall.platform.http" in problems[1]
    # without bytecode (the measurement), compiling in memory is expected: only the mount and handler count
    assert build_check.check_import({**clean, "without_pyc": ["oncall.platform.http"]}, spec, bytecode=False) == []


# ------------------------------------------------------------------------------------------ environment
TEMPLATE = {
    "Parameters": {"PublicBaseUrl": {"Type": "String", "Default": ""}, "LogLevel": {"Default": "INFO"}},
    "Conditions": {"HasPublicBaseUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PublicBaseUrl"}, ""]}]}},
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-events"}}},
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}},
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "One": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": "app.handler",
                "Environment": {
                    "Variables": {
                        "EVENTS_QUEUE_URL": {"Ref": "Queue"},
                        "SECRET_ARN": {"Ref": "Secret"},
                        "LEVEL": {"Ref": "LogLevel"},
                        "URL": {
                            "Fn::If": [
                                "HasPublicBaseUrl",
                                {"Ref": "PublicBaseUrl"},
                                {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
                            ]
                        },
                    }
                },
            },
        },
        "Two": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "other.main"}},
    },
}


def test_each_function_gets_only_its_own_variables_with_plausible_values():
    one, two = build_check.functions(TEMPLATE)
    assert (one.logical_id, one.handler, two.environment) == ("One", "app.handler", {})
    assert one.environment == {
        "EVENTS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/oncall-events",
        "SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:Secret-AbCdEf",
        "LEVEL": "INFO",
        "URL": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
    }


def test_a_condition_follows_the_parameters():
    resolver = Resolver(TEMPLATE, {"PublicBaseUrl": "https://oncall.example.com"})
    url = TEMPLATE["Resources"]["One"]["Properties"]["Environment"]["Variables"]["URL"]
    assert resolver.value(url) == "https://oncall.example.com"


def test_the_real_template_gives_every_function_its_own_environment():
    from oncall_local.translate import translate

    specs = {s.logical_id: s for s in build_check.functions(translate())}
    assert set(specs) == {
        "ApiFunction",
        "ConsoleFunction",
        "EscalateFunction",
        "HeartbeatCheckFunction",
        "IngestFunction",
        "RouteFunction",
        "SecureParameterFunction",
        "WebhooksFunction",
    }
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:oncall-escalation"
    assert specs["RouteFunction"].environment["ESCALATION_STATE_MACHINE_ARN"] == arn
    assert "ESCALATION_STATE_MACHINE_ARN" not in specs["IngestFunction"].environment
    assert "ADMIN_TOKEN_PARAMETER" not in specs["EscalateFunction"].environment
    assert specs["ApiFunction"].environment["ADMIN_TOKEN_PARAMETER"] == "/oncall/admin-token"
    assert all("{" not in v for s in specs.values() for v in s.environment.values())  # every intrinsic resolved


# ------------------------------------------------------------------------------------------ cycles
def _resource(**properties) -> dict:
    return {"Type": "AWS::Test::Thing", "Properties": properties}


def test_no_cycle_in_a_chain_of_references():
    template = {"Resources": {"A": _resource(x={"Ref": "B"}), "B": _resource(y={"Fn::GetAtt": ["C", "Arn"]}), "C": {}}}
    assert translated_lint.cycles(template) == []


def test_a_cycle_through_ref_getatt_sub_and_depends_on_is_found_and_walked():
    template = {
        "Resources": {
            "A": _resource(x={"Fn::Sub": "arn:${AWS::Region}:${B.Arn}"}),
            "B": _resource(y={"Fn::GetAtt": "C.Name"}),
            "C": {"Type": "T", "DependsOn": ["A"]},
            "D": _resource(z={"Ref": "A"}),  # depends on the cycle, is not in it
        }
    }
    assert translated_lint.cycles(template) == [["A", "B", "C", "A"]]


def test_sub_variables_literals_and_both_if_branches_count_as_cloudformation_counts_them():
    template = {
        "Resources": {
            "A": _resource(x={"Fn::Sub": ["${Local} ${!B}", {"Local": {"Ref": "P"}}]}),  # no edge to B
            "B": _resource(y={"Fn::If": ["Cond", "plain", {"Ref": "A"}]}),
            "P": _resource(z={"Fn::Sub": ["${X}", {"X": {"Ref": "B"}}]}),
        }
    }
    assert translated_lint.cycles(template) == [["A", "P", "B", "A"]]


def test_a_resource_depending_on_itself_is_a_cycle():
    assert translated_lint.cycles({"Resources": {"A": {"Type": "T", "DependsOn": "A"}}}) == [["A", "A"]]
