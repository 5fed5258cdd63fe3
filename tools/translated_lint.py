"""`make lint`'s view of what CloudFormation will see: translates `template.yaml` with the SAM translator
(offline, `oncall_local.translate`), writes the CloudFormation JSON for cfn-lint and checkov, and checks
the translated resources for dependency cycles (CloudFormation refuses a cyclic template at deploy time,
and cfn-lint cannot see a cycle that only the transform creates, such as an HTTP API's integration).

    python -m tools.translated_lint [TEMPLATE] [OUT]      exit 1 and name the cycle if there is one

The graph has an edge A -> B when resource A's `Ref`, `Fn::GetAtt`, `Fn::Sub` or `DependsOn` names resource
B: what CloudFormation orders creation by. Both branches of an `Fn::If` count, as they do in CloudFormation.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")  # ${Name} or ${Name.Attr}; ${!Literal} is text


def _sub_names(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        text, local = value, {}
    elif isinstance(value, list) and value and isinstance(value[0], str):
        text, local = value[0], value[1] if len(value) > 1 and isinstance(value[1], dict) else {}
        yield from _referenced(local)
    else:
        return
    for match in _SUB_VARIABLE.finditer(text):
        name = match.group(1).split(".", 1)[0].strip()
        if name not in local:
            yield name


def _referenced(node: Any) -> Iterator[str]:
    """Every logical id (or parameter/pseudo-parameter name) a template fragment refers to."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) and value else value
                if isinstance(target, str):
                    yield target.split(".", 1)[0]
                if isinstance(value, list):
                    yield from _referenced(value[1:])
            elif key == "Fn::Sub":
                yield from _sub_names(value)
            else:
                yield from _referenced(value)
    elif isinstance(node, list):
        for item in node:
            yield from _referenced(item)


def dependency_graph(template: dict[str, Any]) -> dict[str, set[str]]:
    """Resource logical id -> the resources it depends on (parameters and pseudo parameters left out)."""
    resources = template.get("Resources", {})
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        names = set(_referenced(resource.get("Properties", {})))
        names |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[logical_id] = {name for name in names if name in resources}
    return graph


def cycles(template: dict[str, Any]) -> list[list[str]]:
    """The dependency cycles of a CloudFormation template: each strongly connected component with more than
    one resource (or a resource depending on itself), sorted, as one cycle path through it."""
    graph = dependency_graph(template)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan; the graph has ~100 nodes, recursion depth is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted((_cycle_path(graph, component) for component in components), key=lambda path: path[0])


def _cycle_path(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One closed path A -> ... -> A through a strongly connected component (readable in an error)."""
    start = min(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:  # breadth first, back to start
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & component):
                if successor == start:
                    path, step = [], node
                    while step != start:
                        path.append(step)
                        step = previous[step]
                    return [start, *reversed(path), start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    return sorted(component)


def main(argv: list[str] | None = None) -> int:
    from oncall_local.template import TEMPLATE_PATH
    from oncall_local.translate import translate

    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else TEMPLATE_PATH
    out = Path(args[1]) if len(args) > 1 else Path("build/translated-template.json")
    translated = translate(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(translated, indent=1, sort_keys=True, default=str) + "\n")
    found = cycles(translated)
    for path in found:
        sys.stderr.write(f"{source}: circular dependency once translated: {' -> '.join(path)}\n")
    if not found:
        sys.stdout.write(f"{source}: translated to {out} ({len(translated['Resources'])} resources, no cycle)\n")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
