"""Peak memory (RSS) of each function's working set, in a fresh process: the handler imported, its AWS clients
created, and the modules its request paths load on first use (Jinja2 templates, Apprise with its plugins,
iCal, croniter...) loaded too. An upper bound of what the Python code holds; Lambda's runtime client adds its
own (~30 MB for a Python function that does nothing, our estimate: "Max Memory Used" of an empty handler).

Used to right-size MemorySize in template.yaml (docs/decisions/0076-*.md): memory must fit this with room,
CPU share and so wall time follow from memory (bench/cost_model.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from bench.cold_start import CLIENTS, LOGICAL_IDS  # noqa: E402

# What each function's request paths import lazily (see oncall/wiring.py and the handlers): loaded here so the
# figure is the working set of a container that has served every kind of request it serves.
_APPRISE = "import apprise; a = apprise.Apprise(); a.add('json://localhost/'); a.add('slack://T000/B000/XXX')"
_TEMPLATES = "from oncall.templates import engine, rendering, preview; import jinja2.sandbox, regex"
_ICAL = "import icalendar, recurring_ical_events, croniter"
LAZY = {
    "ingest": [],
    "route": [_TEMPLATES, "from oncall import wiring; wiring.escalations(); wiring.events()"],
    "escalate": [_TEMPLATES, _APPRISE, _ICAL, "from oncall import wiring; wiring.engine"],
    "heartbeat_check": ["import croniter", "from oncall.monitoring import sweep"],
    "api": [_TEMPLATES, _APPRISE, _ICAL, "import cryptography.x509", "from oncall.api import app"],
    "console": [_TEMPLATES, "from oncall.console import app"],
    "webhooks": [_TEMPLATES, "from oncall.webhooks import delivery"],
    "secure_parameter": [],
}
# template.yaml's logical ids: the functions cold_start measures, and the two it does not
FUNCTIONS = {**LOGICAL_IDS, "webhooks": "WebhooksFunction", "secure_parameter": "SecureParameterFunction"}

_PROBE = """
import importlib.util, json, resource, sys
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
import boto3
clients = [boto3.client(name) for name in {clients!r}]
after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for line in {lazy!r}:
    exec(line)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"import_mb": after_import / 1024, "peak_mb": peak / 1024}}))
"""


def measure(function: str) -> dict[str, float]:
    code = _PROBE.format(
        path=str(REPO / "functions" / function / "app.py"),
        clients=CLIENTS.get(function, ["ssm"] if function == "secure_parameter" else []),
        lazy=LAZY[function],
    )
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'layers' / 'common'}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "bench",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_all() -> dict[str, dict[str, float]]:
    return {FUNCTIONS[name]: measure(name) for name in LAZY}


if __name__ == "__main__":
    print(json.dumps(measure_all(), indent=1))
