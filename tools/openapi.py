"""`make openapi`: write the API's OpenAPI document as committed in docs/openapi.json (a test fails when the
served document differs from that copy).

    python -m tools.openapi docs/openapi.json     (no argument: to stdout)

It lives here, not in oncall.api.openapi, because it builds the whole api app, which imports that module."""

from __future__ import annotations

import sys
from pathlib import Path

from aws_lambda_powertools import Logger

from oncall.api.app import build_app
from oncall.api.openapi import document_text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = document_text(build_app(Logger(service="openapi")))
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
