"""The CLI installs without moto (requirements-cli.txt): every oncall_cli module imports, and `oncall --help`
works, with moto and the local runtime unimportable; `oncall local` then says what to install."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Run in a fresh interpreter: a meta-path finder refuses the local runtime's packages before any import.
_BLOCKED = """
import importlib, pkgutil, sys

BLOCKED = ("moto", "oncall_local", "samtranslator")

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
"""

_IMPORT_ALL = (
    _BLOCKED
    + """
import oncall_cli
names = sorted(m.name for m in pkgutil.walk_packages(oncall_cli.__path__, "oncall_cli."))
for name in names:
    importlib.import_module(name)
assert "oncall_cli.main" in names and "oncall_cli.commands.doctor" in names, names
assert not any(name.split(".")[0] in BLOCKED for name in sys.modules), "a blocked module got in"
print(len(names), "modules")
"""
)


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(ROOT / p) for p in ("cli", "layers/common", "."))
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_every_cli_module_imports_without_moto():
    result = _run(_IMPORT_ALL)
    assert result.returncode == 0, result.stderr
    assert "modules" in result.stdout


def test_help_works_without_moto():
    result = _run(_BLOCKED + "import sys\nsys.argv = ['oncall', '--help']\nfrom oncall_cli.main import main\nmain()\n")
    assert result.returncode == 0, result.stderr
    assert "local" in result.stdout
    assert "Usage" in result.stdout


def test_oncall_local_says_what_to_install_without_the_local_runtime():
    result = _run(_BLOCKED + "import sys\nsys.argv = ['oncall', 'local']\nfrom oncall_cli.main import main\nmain()\n")
    assert result.returncode == 2, result.stderr
    assert "requirements-local.txt" in result.stderr
    assert "Traceback" not in result.stderr
