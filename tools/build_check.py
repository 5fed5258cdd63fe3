"""`make build`: the artifacts `sam deploy` uploads, built and checked the way Lambda will run them.

    python -m tools.build_check            sam build, bytecode, then the checks below (exit 1 on a problem)
    python -m tools.build_check --measure  also: import time per function, with and without bytecode

1. `sam build` (python3.13, arm64) into `.aws-sam/build`, with a Python 3.13 on PATH (found, see
   `find_python313`).
2. Bytecode for the layer and every function, `compileall --invalidation-mode unchecked-hash` by Python 3.13:
   Lambda's /opt and /var/task are read-only, so a missing or stale .pyc is compiled again on every cold start
   (nothing can be cached), and timestamp-based .pyc would be checked against the zip's file times.
3. Static checks of the arm64 build: every native library is an aarch64 ELF; every .py has its
   unchecked-hash .pyc.
4. The import check: every handler named in the translated template is imported by a clean Python 3.13 venv
   holding only what the Lambda runtime provides (boto3/botocore at RUNTIME_SDK), plus the layer at
   /opt/python and the function's code, both mounted read-only in a private mount namespace (`unshare -m`),
   with only that function's environment variables from the template (resolved to plausible values). The
   child verifies the mounts refuse writes and that every module it loaded from them came from an
   unchecked-hash .pyc (so nothing was, or would have been, compiled or written).

   An x86_64 host cannot load aarch64 libraries, so there the import check runs on an x86_64 twin of the
   layer: the same requirements installed by pip for manylinux x86_64 / CPython 3.13 and the same built
   `oncall` package; the check fails if the twin's distributions (name, version) differ from the arm64
   build's. On an arm64 host the arm64 build itself is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO_ROOT / ".aws-sam" / "build"
WORK_DIR = REPO_ROOT / ".aws-sam" / "check"
SAM = REPO_ROOT / ".venv-sam" / "bin" / "sam"
LAYER_ID = "CommonLayer"

# What the python3.13 Lambda runtime ships besides the standard library: boto3 and botocore (with their
# dependencies). AWS lists the version per runtime under "Runtime-included SDK versions" in the Lambda
# developer guide (lambda-python.html); it changes with runtime updates, so this pins one listed for
# python3.13. Layer code must not need anything newer (or anything else the runtime lacks).
RUNTIME_SDK = ("boto3==1.34.145", "botocore==1.34.145")

EM_AARCH64 = 183
EM_X86_64 = 62
PYC_UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, check_source = 0


class BuildError(Exception):
    """Something the build or a check found; the message says what and where."""


# ------------------------------------------------------------------------------------------ Python 3.13
def _python_version(executable: str) -> str:
    try:
        result = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=20, check=False)
    except OSError:
        return ""
    return (result.stdout or result.stderr).strip() if result.returncode == 0 else ""


def find_python313(environ: dict[str, str] | None = None, home: Path | None = None) -> Path:
    """A working `python3.13`: $ONCALL_PYTHON313, else `python3.13` on PATH (a pyenv shim counts only if it
    runs), else pyenv's versions directory ($PYENV_ROOT or ~/.pyenv), else /usr/local/bin and /usr/bin."""
    env = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    tried: list[str] = []
    candidates: list[str] = []
    if env.get("ONCALL_PYTHON313"):
        candidates.append(env["ONCALL_PYTHON313"])
    on_path = shutil.which("python3.13", path=env.get("PATH", ""))
    if on_path:
        candidates.append(on_path)
    pyenv_root = Path(env.get("PYENV_ROOT") or home / ".pyenv")
    versions = sorted((pyenv_root / "versions").glob("3.13*"), key=lambda p: p.name, reverse=True)
    candidates += [str(v / "bin" / "python3.13") for v in versions]
    candidates += ["/usr/local/bin/python3.13", "/usr/bin/python3.13"]
    for candidate in dict.fromkeys(candidates):
        version = _python_version(candidate)
        if version.startswith("Python 3.13"):
            return Path(candidate)
        tried.append(f"{candidate} ({version or 'not runnable'})")
    raise BuildError(
        "No Python 3.13 found (sam build and the bytecode need the Lambda runtime's version). Tried: "
        + "; ".join(tried)
        + ". Install one (`pyenv install 3.13`, or the OS package python3.13)"
        + " or set ONCALL_PYTHON313=/path/to/python3.13."
    )


# ------------------------------------------------------------------------------------------ build
def sam_build(python: Path, template: Path = REPO_ROOT / "template.yaml", build_dir: Path = BUILD_DIR) -> None:
    if not SAM.exists():
        raise BuildError(f"{SAM} is missing: run `make deps` (the SAM CLI has its own venv, .venv-sam)")
    env = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }
    command = [str(SAM), "build", "--template-file", str(template), "--build-dir", str(build_dir), "--parallel"]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"sam build failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def compile_bytecode(python: Path, directories: Iterable[Path]) -> None:
    """Unchecked-hash .pyc next to every .py (what a read-only /opt and /var/task need)."""
    for directory in directories:
        command = [str(python), "-m", "compileall", "-q", "-f", "-j", "0", "--invalidation-mode", "unchecked-hash"]
        result = subprocess.run([*command, str(directory)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BuildError(f"compileall failed in {directory}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


# ------------------------------------------------------------------------------------------ static checks
def elf_machine(path: Path) -> int | None:
    """The ELF e_machine of a file, or None if it is not an ELF file."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byteorder = "little" if header[5] == 1 else "big"
    return int.from_bytes(header[18:20], byteorder)


def foreign_libraries(root: Path, machine: int = EM_AARCH64) -> list[str]:
    """Native libraries (any ELF file, whatever its name) that are not for `machine`."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        if path.suffix not in (".so", "") and ".so." not in path.name:
            continue
        kind = elf_machine(path)
        if kind is not None and kind != machine:
            found.append(f"{path.relative_to(root)} (ELF machine {kind})")
    return found


def pyc_flags(path: Path) -> int | None:
    data = path.read_bytes()[:8]
    return int.from_bytes(data[4:8], "little") if len(data) == 8 else None


def missing_bytecode(root: Path, tag: str = "cpython-313") -> list[str]:
    """Every .py without an unchecked-hash .pyc for Python 3.13 beside it (in __pycache__)."""
    problems = []
    for source in sorted(root.rglob("*.py")):
        cached = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not cached.exists():
            problems.append(f"{source.relative_to(root)}: no {cached.name}")
        elif pyc_flags(cached) != PYC_UNCHECKED_HASH:
            problems.append(f"{source.relative_to(root)}: {cached.name} is not unchecked-hash")
    return problems


def distributions(site: Path) -> set[tuple[str, str]]:
    found = set()
    for info in site.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        found.add((re.sub(r"[-_.]+", "-", name).lower(), version))
    return found


# ------------------------------------------------------------------------------------------ environment
ACCOUNT, REGION, STACK = "123456789012", "us-east-1", "oncall"
NO_VALUE = object()  # !Ref AWS::NoValue: the property (or variable) is left out
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::StackName": STACK,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


@dataclass
class Resolver:
    """Plausible values for a translated template's intrinsic functions (parameter defaults, made-up
    physical ids in the shape AWS gives them): enough to give each function its environment."""

    template: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in self.template.get("Parameters", {}).items():
            self.parameters.setdefault(name, str(spec.get("Default", "")))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.template["Resources"][name]
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.get_att(name, 'QueueName')}"
        if kind in ("AWS::SecretsManager::Secret", "AWS::SNS::Topic", "AWS::StepFunctions::StateMachine"):
            return self.get_att(name, "Arn")
        if kind == "AWS::ApiGatewayV2::Api":
            return "a1b2c3d4e5"
        return self.value(props["Name"]) if "Name" in props else f"{STACK}-{name}-1A2B3C4D5E6F"

    def get_att(self, name: str, attribute: str) -> str:
        resource = self.template["Resources"][name]
        kind, props = resource["Type"], resource.get("Properties", {})
        if attribute in ("QueueName", "Name", "TopicName"):
            given = props.get("QueueName") or props.get("StateMachineName") or props.get("Name")
            return self.value(given) if given else f"{STACK}-{name}-1A2B3C4D5E6F"
        if attribute == "Arn":
            service = {
                "AWS::SQS::Queue": "sqs",
                "AWS::SNS::Topic": "sns",
                "AWS::SecretsManager::Secret": "secretsmanager",
                "AWS::StepFunctions::StateMachine": "states",
                "AWS::DynamoDB::Table": "dynamodb",
                "AWS::Lambda::Function": "lambda",
            }.get(kind, "unknown")
            prefix = f"arn:aws:{service}:{REGION}:{ACCOUNT}"
            if kind == "AWS::SecretsManager::Secret":
                return f"{prefix}:secret:{name}-AbCdEf"
            if kind == "AWS::StepFunctions::StateMachine":
                return f"{prefix}:stateMachine:{self.get_att(name, 'Name')}"
            if kind == "AWS::DynamoDB::Table":
                return f"{prefix}:table/{self.ref(name)}"
            if kind == "AWS::Lambda::Function":
                return f"{prefix}:function:{self.ref(name)}"
            separator = ":"
            return f"{prefix}{separator}{self.get_att(name, 'QueueName') if service in ('sqs', 'sns') else name}"
        return f"{name}.{attribute}"

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def value(self, node: Any) -> Any:  # noqa: PLR0911 - one branch per intrinsic function
        if isinstance(node, str | int | float | bool):
            return node
        if isinstance(node, list):
            return [self.value(item) for item in node]
        (key, argument), *_ = node.items()
        if key == "Ref":
            return self.ref(argument)
        if key == "Fn::GetAtt":
            name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.get_att(name, attribute)
        if key == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])

            def substitute(match: re.Match) -> str:
                name = match.group(1)
                if name in local:
                    return str(self.value(local[name]))
                if "." in name and name not in PSEUDO:
                    return str(self.get_att(*name.split(".", 1)))
                return str(self.ref(name))

            return re.sub(r"\$\{([^!}][^}]*)\}", substitute, text)
        if key == "Fn::If":
            return self.value(argument[1] if self.condition(argument[0]) else argument[2])
        if key == "Fn::Equals":
            return self.value(argument[0]) == self.value(argument[1])
        if key == "Fn::Not":
            return not self.value(argument[0])
        if key == "Condition":
            return self.condition(argument)
        if key == "Fn::Join":
            return argument[0].join(str(self.value(p)) for p in argument[1])
        return {key: self.value(argument)}


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    environment: dict[str, str]


def functions(template: dict[str, Any]) -> list[FunctionSpec]:
    """Every Lambda function of the translated template: its handler and its own resolved environment."""
    resolve = Resolver(template)
    found = []
    for logical_id, resource in sorted(template["Resources"].items()):
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        variables = (props.get("Environment") or {}).get("Variables") or {}
        resolved = {name: resolve.value(value) for name, value in variables.items()}
        environment = {name: str(value) for name, value in resolved.items() if value is not NO_VALUE}
        found.append(FunctionSpec(logical_id, props["Handler"], environment))
    return found


# ------------------------------------------------------------------------------------------ import check
PROBE = r"""
import importlib, json, os, sys, time
layer, task, handler = sys.argv[1], sys.argv[2], sys.argv[3]
result = {"writable": []}
for mount in (layer, task):
    try:
        with open(os.path.join(mount, ".write-probe"), "w"):
            pass
        result["writable"].append(mount)
    except OSError:
        pass
module_name, _, attribute = handler.rpartition(".")
started = time.perf_counter()
module = importlib.import_module(module_name)
function = getattr(module, attribute)
result["import_ms"] = round((time.perf_counter() - started) * 1000, 1)
result["callable"] = callable(function)
loaded, without_pyc, checked = [], [], []
for name, mod in list(sys.modules.items()):
    path = getattr(mod, "__file__", None) or ""
    if not path.startswith((layer + os.sep, task + os.sep)) or not path.endswith(".py"):
        continue
    loaded.append(name)
    cached = getattr(mod, "__cached__", None)
    if not cached or not os.path.exists(cached):
        without_pyc.append(name)
        continue
    with open(cached, "rb") as handle:
        if int.from_bytes(handle.read(8)[4:8], "little") != 1:
            checked.append(name)
result.update(modules=len(loaded), without_pyc=without_pyc, not_unchecked_hash=checked)
result["foreign_environment"] = sorted(os.environ)
print("PROBE " + json.dumps(result))
"""

LAMBDA_RUNTIME_ENV = {  # what the runtime itself sets (the template's variables come on top)
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
    "AWS_ACCESS_KEY_ID": "ASIAIMPORTCHECK00000",
    "AWS_SECRET_ACCESS_KEY": "import-check",
    "AWS_SESSION_TOKEN": "import-check",
    "AWS_EC2_METADATA_DISABLED": "true",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


def runtime_venv(python: Path, where: Path = WORK_DIR / "runtime-venv") -> Path:
    """A clean venv: the standard library plus the Lambda runtime's SDK, nothing else."""
    stamp = where / ".sdk"
    wanted = " ".join(RUNTIME_SDK)
    if stamp.exists() and stamp.read_text() == wanted:
        return where / "bin" / "python"
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run([str(python), "-m", "venv", str(where)], check=True)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # Not the machine's pip constraints: the runtime's SDK is what it is.
    env = {**os.environ, "PIP_CONSTRAINT": ""}
    result = subprocess.run([*pip, *RUNTIME_SDK], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BuildError(f"installing the runtime SDK {wanted} failed:\n{result.stderr[-2000:]}")
    subprocess.run([str(where / "bin" / "python"), "-m", "pip", "uninstall", "-q", "-y", "pip"], check=False)
    stamp.write_text(wanted)
    return where / "bin" / "python"


def x86_twin(python: Path, layer: Path, where: Path = WORK_DIR / "layer-x86_64") -> Path:
    """The layer's requirements for manylinux x86_64 / CPython 3.13 plus the built `oncall` package."""
    site = where / "python"
    shutil.rmtree(where, ignore_errors=True)
    command = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile"]
    command += ["--target", str(site)]
    command += ["--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.13"]
    command += ["--only-binary=:all:", "-r", str(REPO_ROOT / "layers" / "common" / "requirements.txt")]
    result = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PIP_CONSTRAINT": ""}, check=False
    )
    if result.returncode != 0:
        raise BuildError(f"building the x86_64 twin of the layer failed:\n{result.stderr[-2000:]}")
    for own in ("oncall",):
        shutil.copytree(layer / own, site / own, ignore=shutil.ignore_patterns("__pycache__"))
    arm, twin = distributions(layer), distributions(site)
    if arm != twin:
        raise BuildError(
            f"the x86_64 twin differs from the arm64 layer: only in arm64 {sorted(arm - twin)},"
            f" only in the twin {sorted(twin - arm)}"
        )
    compile_bytecode(python, [site])
    return site


def strip_bytecode(source: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def import_on_read_only_mounts(venv_python: Path, layer: Path, task: Path, spec: FunctionSpec) -> dict[str, Any]:
    """Import `spec.handler` with `layer` at /opt/python and `task` at /opt/task, both read-only, in a private
    mount namespace, with only the runtime's and the function's environment."""
    inner = (
        "set -e; mount -t tmpfs -o size=1m tmpfs /opt; mkdir /opt/python /opt/task; "
        'mount --bind -o ro "$1" /opt/python; mount --bind -o ro "$2" /opt/task; '
        'mount -o remount,bind,ro /opt/python; mount -o remount,bind,ro /opt/task; shift 2; exec "$@"'
    )
    unshare = ["unshare", "-m", "--propagation", "private"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]
    env = {**LAMBDA_RUNTIME_ENV, **spec.environment, "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id}
    env |= {"PYTHONPATH": "/opt/task:/opt/python", "LAMBDA_TASK_ROOT": "/opt/task", "PYTHONNOUSERSITE": "1"}
    command = [*unshare, "sh", "-c", inner, "sh", str(layer), str(task)]
    command += [str(venv_python), "-c", PROBE, "/opt/python", "/opt/task", spec.handler]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("PROBE ")), None)
    if result.returncode != 0 or line is None:
        raise BuildError(f"{spec.logical_id}: importing {spec.handler} failed:\n{result.stderr[-3000:]}")
    probe = json.loads(line.removeprefix("PROBE "))
    extra = set(probe.pop("foreign_environment")) - set(env) - {"PWD", "SHLVL", "_", "LC_CTYPE"}
    if extra:
        raise BuildError(f"{spec.logical_id}: the import saw variables it should not: {sorted(extra)}")
    return probe


def check_import(probe: dict[str, Any], spec: FunctionSpec, *, bytecode: bool = True) -> list[str]:
    problems = []
    if probe["writable"]:
        problems.append(f"{spec.logical_id}: the mount was writable: {probe['writable']}")
    if not probe["callable"]:
        problems.append(f"{spec.logical_id}: {spec.handler} is not callable")
    if bytecode and probe["without_pyc"]:
        problems.append(f"{spec.logical_id}: modules loaded without a .pyc: {probe['without_pyc'][:10]}")
    if bytecode and probe["not_unchecked_hash"]:
        problems.append(f"{spec.logical_id}: .pyc not unchecked-hash: {probe['not_unchecked_hash'][:10]}")
    return problems


# ------------------------------------------------------------------------------------------ main
def build_and_check(*, measure: int = 0, skip_build: bool = False) -> list[dict[str, Any]]:
    from oncall_local.translate import translate

    started = time.monotonic()
    python = find_python313()
    print(f"build: {python} ({_python_version(str(python))})", flush=True)
    if not skip_build:
        sam_build(python)
        print(f"build: sam build done in {time.monotonic() - started:.0f} s", flush=True)
    specs = functions(translate())
    layer = BUILD_DIR / LAYER_ID / "python"
    task_dirs = {s.logical_id: BUILD_DIR / s.logical_id for s in specs}
    missing = [str(p) for p in [layer, *task_dirs.values()] if not p.is_dir()]
    if missing:
        raise BuildError(f"not built: {missing}")
    compile_bytecode(python, [layer, *task_dirs.values()])
    problems = [
        f"{root.name}: {p}" for root in [BUILD_DIR / LAYER_ID, *task_dirs.values()] for p in foreign_libraries(root)
    ]
    for root in [layer, *task_dirs.values()]:
        problems += [f"{root.relative_to(BUILD_DIR)}: {p}" for p in missing_bytecode(root)]
    if problems:
        raise BuildError("the arm64 build is not ready for Lambda:\n  " + "\n  ".join(problems[:40]))
    print(f"build: bytecode and aarch64-only native libraries checked ({time.monotonic() - started:.0f} s)", flush=True)

    arm_host = platform.machine() in ("aarch64", "arm64")
    import_layer = layer if arm_host else x86_twin(python, layer)
    venv_python = runtime_venv(python)
    rows = []
    # Two at a time (each is a fresh process, mostly waiting on imports); measurements run one by one below.
    with ThreadPoolExecutor(max_workers=2) as pool:
        probes = list(
            pool.map(lambda s: import_on_read_only_mounts(venv_python, import_layer, task_dirs[s.logical_id], s), specs)
        )
    for spec, probe in zip(specs, probes, strict=True):
        problems += check_import(probe, spec)
        row = {
            "function": spec.logical_id,
            "handler": spec.handler,
            "modules": probe["modules"],
            "import_ms": probe["import_ms"],
        }
        if measure:
            row |= _measure(venv_python, import_layer, task_dirs[spec.logical_id], spec, measure)
        rows.append(row)
    if problems:
        raise BuildError("import check failed:\n  " + "\n  ".join(problems))
    layer_kind = "arm64 layer" if arm_host else "x86_64 twin of the layer (same distributions as the arm64 build)"
    print(f"build: every handler imports on read-only mounts, own environment only, {layer_kind}")
    print(f"build: done in {time.monotonic() - started:.0f} s", flush=True)
    return rows


def _measure(venv_python: Path, layer: Path, task: Path, spec: FunctionSpec, runs: int) -> dict[str, Any]:
    """Median import time over `runs` fresh processes, with the bytecode and without any (same mounts)."""
    bare_layer = strip_bytecode(layer, WORK_DIR / "measure" / "layer")
    bare_task = strip_bytecode(task, WORK_DIR / "measure" / spec.logical_id)
    with_pyc = [import_on_read_only_mounts(venv_python, layer, task, spec)["import_ms"] for _ in range(runs)]
    without = [import_on_read_only_mounts(venv_python, bare_layer, bare_task, spec)["import_ms"] for _ in range(runs)]
    return {"with_bytecode_ms": statistics.median(with_pyc), "without_bytecode_ms": statistics.median(without)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", type=int, default=0, metavar="RUNS", help="import time, median of RUNS")
    parser.add_argument("--skip-build", action="store_true", help="check the existing .aws-sam/build")
    args = parser.parse_args(argv)
    try:
        rows = build_and_check(measure=args.measure, skip_build=args.skip_build)
    except BuildError as error:
        print(f"build: FAILED: {error}", file=sys.stderr)
        return 1
    for row in rows:
        print("build: " + json.dumps(row))
    return 0


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        raise SystemExit(main())
