"""`make build`'s import check for real (tools/build_check.py): a tiny layer and function imported by a clean
Python 3.13 on read-only mounts in a private mount namespace, with only the function's environment."""

from __future__ import annotations

import py_compile
import subprocess
from pathlib import Path

import pytest

from tools import build_check
from tools.build_check import BuildError, FunctionSpec

APP = """
import os
import helper

SETTING = os.environ["ONCALL_SETTING"]


def handler(event, context):
    return helper.answer()
"""


@pytest.fixture(scope="module")
def clean_python(tmp_path_factory) -> Path:
    python = build_check.find_python313()  # CI has pyenv's 3.13; `make build` needs it anyway
    venv = tmp_path_factory.mktemp("venv") / "runtime"
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


def _built(tmp_path: Path, app: str = APP, *, bytecode: bool = True) -> tuple[Path, Path]:
    layer, task = tmp_path / "layer", tmp_path / "task"
    layer.mkdir()
    task.mkdir()
    (layer / "helper.py").write_text("def answer():\n    return 42\n")
    (task / "app.py").write_text(app)
    if bytecode:
        for source in (layer / "helper.py", task / "app.py"):
            cached = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
            py_compile.compile(source, cached, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return layer, task


SPEC = FunctionSpec("TestFunction", "app.handler", {"ONCALL_SETTING": "on"})


def test_a_built_function_imports_from_bytecode_on_read_only_mounts(clean_python, tmp_path):
    layer, task = _built(tmp_path)

    probe = build_check.import_on_read_only_mounts(clean_python, layer, task, SPEC)

    assert probe["writable"] == []  # the child could not write to either mount
    assert probe["modules"] == 2 and probe["without_pyc"] == [] and probe["not_unchecked_hash"] == []
    assert build_check.check_import(probe, SPEC) == []
    assert not list(tmp_path.rglob(".write-probe"))


def test_a_function_without_bytecode_is_reported(clean_python, tmp_path):
    layer, task = _built(tmp_path, bytecode=False)

    probe = build_check.import_on_read_only_mounts(clean_python, layer, task, SPEC)

    assert sorted(probe["without_pyc"]) == ["app", "helper"]
    assert not list(tmp_path.rglob("*.pyc"))  # nothing could be written
    assert build_check.check_import(probe, SPEC)


def test_a_variable_of_another_function_is_not_there(clean_python, tmp_path):
    layer, task = _built(tmp_path)
    with pytest.raises(BuildError) as error:
        build_check.import_on_read_only_mounts(clean_python, layer, task, FunctionSpec("Other", "app.handler", {}))
    assert "KeyError: 'ONCALL_SETTING'" in str(error.value)


def test_a_dependency_missing_from_the_layer_fails_the_import(clean_python, tmp_path):
    layer, task = _built(tmp_path, app="import requests\n\ndef handler(event, context):\n    return 1\n")
    with pytest.raises(BuildError) as error:
        build_check.import_on_read_only_mounts(clean_python, layer, task, SPEC)
    assert "No module named 'requests'" in str(error.value)
