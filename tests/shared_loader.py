"""One botocore data loader for the whole test process.

botocore parses a service's JSON models (tens of milliseconds for DynamoDB, IAM, Step Functions...) once per
Session, and moto gives every test a fresh default session (`mock_aws` patches `boto3.DEFAULT_SESSION`), so
each integration test paid that again for every client it made (~0.25 s of its ~0.9 s setup). Sessions that
share one loader share its cache: each model is parsed once per process. The loader only reads files, and
clients of one session already share its results, so sharing it across sessions changes nothing else."""

from __future__ import annotations

from typing import Any

import botocore.loaders
import botocore.session

_original_create_loader = botocore.loaders.create_loader
_loaders: dict[Any, botocore.loaders.Loader] = {}


def _shared_loader(search_path_string: Any = None) -> botocore.loaders.Loader:
    if search_path_string not in _loaders:
        _loaders[search_path_string] = _original_create_loader(search_path_string)
    return _loaders[search_path_string]


def share_service_models() -> None:
    botocore.session.create_loader = _shared_loader
