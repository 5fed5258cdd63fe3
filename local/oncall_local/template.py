"""Reads `template.yaml` (CloudFormation short-form tags included) and resolves the intrinsics it uses, so
the local stack and the tests build their resources from the template itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag_constructor(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag_constructor)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


NO_VALUE = object()  # what !Ref AWS::NoValue resolves to: the property is removed


@dataclass
class Resolver:
    """Resolves Ref / GetAtt / Sub / If / Equals / Not / Join against local physical values."""

    template: dict[str, Any]
    pseudo: dict[str, str]
    parameters: dict[str, str] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> value of Ref
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)  # (logical id, attribute) -> value

    def parameter(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        return str(self.template.get("Parameters", {}).get(name, {}).get("Default", ""))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"Ref to {name} cannot be resolved locally")

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[(logical_id, attribute)]
        except KeyError:
            raise KeyError(f"GetAtt {logical_id}.{attribute} cannot be resolved locally") from None

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(self.resolve(variables[token]))
            if "." in token:
                logical_id, attribute = token.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(token)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """`value` with its intrinsics resolved; a property or list item resolving to AWS::NoValue is left out."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handlers: dict[str, Callable[[Any], Any]] = {
                "Ref": self.ref,
                "Fn::GetAtt": lambda a: self.get_att(a[0], a[1]),
                "Fn::Sub": lambda a: self._sub(a, {}) if isinstance(a, str) else self._sub(a[0], a[1]),
                "Fn::If": lambda a: self.resolve(a[1] if self.condition(a[0]) else a[2]),
                "Fn::Equals": lambda a: self.resolve(a[0]) == self.resolve(a[1]),
                "Fn::Not": lambda a: not self.resolve(a[0]),
                "Fn::Join": lambda a: str(a[0]).join(str(self.resolve(v)) for v in self.resolve(a[1])),
            }
            if key in handlers:
                return handlers[key](arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == resource_type}
