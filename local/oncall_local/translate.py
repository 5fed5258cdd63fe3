"""Translates `template.yaml` into the CloudFormation that `sam deploy` submits, offline, with the SAM
translator (aws-sam-translator, the library the SAM CLI and CloudFormation's transform use).

Why: cfn-lint and `sam validate --lint` lint the SAM source; a dependency cycle or a reference that only
exists after the transform (an implicit role, an API's integration, a schedule's role) shows up only here.
`make lint` lints this output, and the local stack builds its roles, environment and event sources from it
(DESIGN decisions 7 and 10).

Local paths (CodeUri, ContentUri, DefinitionUri) are what `sam package` would upload: code URIs become fake
`s3://` URIs (nothing is fetched), and the state machine's definition file is inlined as `sam package` does,
so `DefinitionSubstitutions` stay visible in the output.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

from oncall_local.template import REPO_ROOT, TEMPLATE_PATH

FAKE_BUCKET = "oncall-offline-translation"
_CODE_URI_KEYS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class _NoManagedPolicies:
    """The translator asks for AWS-managed policy ARNs only when a template names one by short name; ours do
    not, and offline there is nothing to ask."""

    def load(self) -> dict[str, str]:
        return {}


def _packaged(sam: dict[str, Any], root: Path) -> dict[str, Any]:
    """What `sam package` does to local paths, without uploading anything."""
    packaged = copy.deepcopy(sam)
    for logical_id, resource in packaged.get("Resources", {}).items():
        props = resource.get("Properties", {})
        key = _CODE_URI_KEYS.get(resource.get("Type", ""))
        if key and isinstance(props.get(key), str) and not props[key].startswith("s3://"):
            props[key] = f"s3://{FAKE_BUCKET}/{logical_id}.zip"
        if resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((root / props.pop("DefinitionUri")).read_text())
    return packaged


def translate(
    template_path: Path = TEMPLATE_PATH,
    *,
    region: str = "us-east-1",
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The CloudFormation template (a dict) that the SAM transform makes of `template_path`."""
    from samtranslator.translator.transform import transform  # only `make lint` and the local stack need it
    from samtranslator.yaml_helper import yaml_parse

    sam = yaml_parse(template_path.read_text())
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    pseudo = {"AWS::Region": region, **(parameters or {})}
    return transform(
        _packaged(sam, template_path.parent if template_path.parent.exists() else REPO_ROOT),
        pseudo,
        _NoManagedPolicies(),
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m oncall_local.translate [TEMPLATE] [OUT]`: write the translation as JSON."""
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else TEMPLATE_PATH
    translated = translate(source)
    text = json.dumps(translated, indent=1, sort_keys=True, default=str)
    if len(args) > 1:
        Path(args[1]).write_text(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
