"""Every patch the local stack and the tests apply to moto (pinned: moto[server]==5.2.5), in one place.
Each is guarded by a test in tests/integration/test_moto_patches.py that fails loudly if moto moves.

1. Lambda hook: moto's non-Docker Lambda backend echoes payloads; we dispatch to the real handlers instead,
   so the Step Functions Task states run our escalate function.
2. Time scale: Step Functions Wait states and Retry intervals sleep `seconds * scale` (demos and tests).
3. DynamoDB concurrency: moto's TransactWriteItems deep-copies every table it touches to be able to roll back.
   That is O(table size) per transaction (a 10,000-alert storm becomes quadratic) and not thread-safe (the
   copy iterates the table while Step Functions' worker threads write: "dictionary changed size during
   iteration"). We serialize moto's DynamoDB request handling with one lock (DynamoDB itself is atomic per
   item, so this is a stricter but faithful model) and snapshot only the items a transaction touches.
4. SQS speed: moto's SQS reads the time through datetime arithmetic for every message on every send and
   receive, and recomputes all queue attributes (three scans of every message) about fourteen times per
   SendMessage: a 1,500-deep FIFO queue took ~300 ms per send. We read the same UTC epoch milliseconds from
   time.time(), and compute a queue's attributes once per message-level request (attributes cannot change
   during SendMessage/ReceiveMessage/DeleteMessage/ChangeMessageVisibility).
5. Server dispatch: moto's server lists its package directory (os.listdir + an isdir per entry, ~150 stat
   calls) twice per request to recognise service names, under one global lock: ~3 ms of every request in a
   storm. The directory does not change while the process runs, so the listing is computed once.
6. In-process transport (local stack only, `serve_in_process`): the handlers run in the same process as the
   moto server, yet each boto3 call opened a TCP connection (moto's werkzeug server closes every
   connection), spawned a server thread and parsed HTTP twice: measured ~60 % of the local stack's time in
   a storm. Requests of this process's boto3 clients for the moto server's URL are handed to the very same
   WSGI application in the calling thread instead (the same moto code answers; only the socket is
   skipped). Clients in other processes (the CLI, tests, your scripts) still use the server over HTTP.
7. IAM as AWS evaluates it (`enforce_iam`): moto enforces IAM once its no-auth request count is used up
   (`settings.INITIAL_NO_AUTH_ACTION_COUNT`, class counter `ActionAuthenticatorMixin.request_count`; the
   same in decorator mode and in the in-process ThreadedMotoServer), but it authorizes most services against
   the resource "*" (so any statement scoped to an ARN never matches) and under its own action names. We
   authorize DynamoDB, Step Functions, SSM parameter, Lambda and SES calls the way IAM does: the table /
   index, state machine / execution, parameter, function and identity ARNs, and TransactWriteItems /
   TransactGetItems / batch calls as their constituent actions on every table they name. SQS already names
   its queue. Conditions and NotResource stay as lenient as moto makes them.
8. Step Functions tasks run with the state machine's role: moto's executor calls Lambda with the fixed
   keys "ak"/"sk" (an invalid token once IAM is enforced); it gets the credentials `install` is given. In the
   local stack the client is made once (per region) and reaches moto through the in-process transport (moto
   made a client per task, ~4 ms, and called http://localhost while the server is bound to 127.0.0.1, so the
   call went over a socket).
9. DynamoDB Query reads one partition: moto 5.2.5 answers a Query on the table's key by listing and *sorting
   every item of the table* (`Table.all_items`) and keeping those of the partition. That made each Query
   O(table): the escalate task's reads of the group and the alert (Queries: each reads its item and a
   sibling) took 5-20 ms and grew with every alert (GetItem: ~1.5 ms). While moto answers a Query on the
   table's hash key, `all_items` returns only that partition's items (the same items moto would have kept).
10. Step Functions parses a definition once: moto parses the ASL (with ANTLR) on every StartExecution, in
   the execution's thread before its first state: 20-50 ms of every alert's path to its first page. The
   parsed program is cached per definition text and each execution gets a deep copy of it (~0.5 ms).
   CreateStateMachine parses it too, to validate it (~70 ms, in every integration test's setup): a definition
   that parsed once is not parsed again; an invalid one is refused each time, as before.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import moto.backends as moto_backends
import moto.dynamodb.models as dynamodb_models
import moto.settings as moto_settings
import moto.sqs.models as sqs_models
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.botocore_stubber import MockRawResponse
from moto.core.exceptions import AccessDeniedError, InvalidClientTokenIdError, JsonRESTError, SignatureDoesNotMatchError
from moto.core.models import botocore_stubber
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import IAMRequest
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.utils import boto_client as sfn_boto_client
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from werkzeug.test import EnvironBuilder, run_wsgi_app

# Passed to mock_aws(config=...) in tests and POSTed to /moto-api/config in server mode.
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

_invoke: Callable[[str, dict[str, Any]], Any] | None = None
_time_scale = 1.0
_installed = False
_original_invoke = LambdaSimpleBackend.invoke
hook_calls: list[str] = []


def _hooked_invoke(self, function_name, qualifier, body, headers, response_headers):  # noqa: ANN001 - moto's API
    function = self.get_function(function_name, qualifier)
    if _invoke is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)
    hook_calls.append(function.function_name)
    try:
        result = _invoke(function.function_name, json.loads(body) if body else {})
    except Exception as error:  # noqa: BLE001 - this is Lambda's "Unhandled" function error
        response_headers["x-amz-function-error"] = "Unhandled"
        result = {"errorType": type(error).__name__, "errorMessage": str(error)}
    return json.dumps(result).encode()


def _scaled_wait(self, env, wait_seconds):  # noqa: ANN001 - must keep moto's keyword name `wait_seconds`
    if wait_seconds > 0:
        env.program_state_event.wait(wait_seconds * _time_scale)


class _ScaledTime:
    """Stands in for the `time` module inside moto's retrier so Retry intervals are scaled too."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds * _time_scale)


_dynamodb_lock = threading.RLock()
_original_call_action = DynamoHandler.call_action
_original_transact_write_items = DynamoDBBackend.transact_write_items


def _serialized_call_action(self):  # noqa: ANN001 - moto's API
    with _dynamodb_lock:
        return _original_call_action(self)


class _TablesAreNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB backend: tables are not deep-copied (the
    transaction wrapper below snapshots the touched items instead); everything else is copied as usual."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _touched_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple]:
    """(table, hash key, range key, deep copy of the item or None) for every item the transaction names."""
    touched = []
    for entry in transact_items:
        _, operation = next(iter(entry.items()))
        table = backend.tables.get(operation.get("TableName", ""))
        if table is None:
            continue
        attributes = operation.get("Item") or operation.get("Key") or {}
        if table.hash_key_attr not in attributes:
            continue
        hash_key = DynamoType(attributes[table.hash_key_attr])
        range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr in attributes else None
        current = table.get_item(hash_key, range_key) if (range_key or not table.has_range_key) else None
        touched.append((table, hash_key, range_key, copy.deepcopy(current)))
    return touched


def _restore(touched: list[tuple]) -> None:
    for table, hash_key, range_key, snapshot in reversed(touched):
        if range_key is not None:
            if snapshot is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = snapshot
        elif snapshot is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = snapshot


def _transact_write_items(self, transact_items):  # noqa: ANN001 - moto's API
    with _dynamodb_lock:
        touched = _touched_items(self, transact_items)
        try:
            return _original_transact_write_items(self, transact_items)
        except Exception:
            _restore(touched)  # moto "rolled back" to the very same table objects: undo the touched items
            raise


# --- 9. DynamoDB Query reads one partition ------------------------------------------------------------------
_original_query = Table.query
_original_all_items = Table.all_items
_query_scope = threading.local()


def _partition_query(self, hash_key, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - moto's API
    """moto's Query, told that a Query on the table's own key needs only the items of its partition."""
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    if index_name or hash_key is None:
        return _original_query(self, hash_key, *args, **kwargs)
    _query_scope.partition = (self, hash_key)
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        _query_scope.partition = None


def _all_items(self) -> list[Any]:  # noqa: ANN001 - replaces moto's method
    scope = getattr(_query_scope, "partition", None)
    if scope is None or scope[0] is not self:
        return _original_all_items(self)
    partition = self.items.get(scope[1])  # .get: the table's defaultdict must not grow an empty partition
    if partition is None:
        return []
    items = list(partition.values()) if self.range_key_attr else [partition]
    return sorted(items, key=lambda item: item.range_key) if self.range_key_attr else items


# --- 10. Step Functions parses a definition once -------------------------------------------------------------
_original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
_programs: dict[str, Any] = {}
_programs_lock = threading.Lock()


def _cached_entrypoint(self):  # noqa: ANN001, ANN202 - moto's API
    definition = self._evaluation_details.state_machine_details.definition
    with _programs_lock:
        program = _programs.get(definition)
    if program is None:
        program = _original_entrypoint(self)
        with _programs_lock:
            _programs[definition] = program
    return copy.deepcopy(program)  # an execution never shares mutable state with another


_original_validate = StepFunctionsParserBackend._validate_definition
_valid_definitions: set[str] = set()


def _cached_validate(definition: str) -> None:
    if definition in _valid_definitions:  # parsed without error before: the same text parses the same way
        return
    _original_validate(definition)  # raises InvalidDefinition for an invalid one, every time
    _valid_definitions.add(definition)


_original_sqs_millis = sqs_models.unix_time_millis


def _fast_unix_time_millis(dt: Any = None) -> float:
    """Epoch milliseconds, as moto's unix_time_millis, without building datetimes for "now"."""
    return time.time() * 1000.0 if dt is None else _original_sqs_millis(dt)


_MESSAGE_ACTIONS = frozenset(
    {
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
    }
)
_request_scope = threading.local()
_original_sqs_call_action = SQSResponse.call_action
_original_queue_attributes = sqs_models.Queue.attributes


def _scoped_sqs_call_action(self):  # noqa: ANN001 - moto's API
    if self._get_action() not in _MESSAGE_ACTIONS:
        return _original_sqs_call_action(self)
    _request_scope.attributes = {}
    try:
        return _original_sqs_call_action(self)
    finally:
        _request_scope.attributes = None


def _queue_attributes(self) -> dict[str, Any]:  # noqa: ANN001 - replaces moto's property
    cache = getattr(_request_scope, "attributes", None)
    if cache is None:
        return _original_queue_attributes.fget(self)
    if id(self) not in cache:
        cache[id(self)] = _original_queue_attributes.fget(self)
    return cache[id(self)]


_original_list_of_moto_modules = moto_backends.list_of_moto_modules
_moto_modules: tuple[str, ...] | None = None


def _cached_list_of_moto_modules() -> tuple[str, ...]:
    global _moto_modules
    if _moto_modules is None:
        _moto_modules = tuple(_original_list_of_moto_modules())
    return _moto_modules


# --- 7. IAM as AWS evaluates it -----------------------------------------------------------------------------
_original_authorize = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action
_request_classes: dict[str, type] = {}


def _request_class(action: str) -> type:
    """An IAMRequest that checks `action` (IAM's name) instead of moto's name for the request."""
    if action not in _request_classes:

        class _Request(IAMRequest):
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**{**kwargs, "action": action})

        _request_classes[action] = _Request
    return _request_classes[action]


def _json_body(response: Any) -> dict[str, Any]:
    if isinstance(response.body, dict):  # moto's DynamoDB handler has parsed it already
        return response.body
    try:
        body = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _dynamodb_checks(response: Any, action: str) -> list[tuple[str, str]]:
    prefix = f"arn:aws:dynamodb:{response.region}:{response.current_account}:table/"
    body = _json_body(response)
    if action in ("TransactWriteItems", "TransactGetItems"):
        checks = []
        for entry in body.get("TransactItems", []):
            for kind, operation in entry.items():
                checks.append((_TRANSACT_ACTIONS.get(kind, "GetItem"), prefix + operation.get("TableName", "")))
        return checks
    if action in ("BatchGetItem", "BatchWriteItem"):
        return [(action, prefix + table) for table in body.get("RequestItems", {})]
    if "TableName" not in body:
        return [(action, "*")]
    index = f"/index/{body['IndexName']}" if body.get("IndexName") else ""
    return [(action, prefix + body["TableName"] + index)]


def _states_checks(response: Any, action: str) -> list[tuple[str, str]]:
    body = _json_body(response)
    arn = body.get("executionArn") or body.get("stateMachineArn") or "*"
    return [(action, arn)]


def _ssm_checks(response: Any, action: str) -> list[tuple[str, str]] | None:
    """Parameter actions on the parameter's ARN (IAM drops the name's leading slash: parameter/<stack>/...)."""
    body = _json_body(response)
    names = body.get("Names") or ([body["Name"]] if "Name" in body else [])
    if not names:
        return None
    prefix = f"arn:aws:ssm:{response.region}:{response.current_account}:parameter/"
    return [(action, name if name.startswith("arn:") else prefix + name.lstrip("/")) for name in names]


def _lambda_checks(response: Any, action: str) -> list[tuple[str, str]] | None:
    parts = unquote(response.path).strip("/").split("/")
    if len(parts) >= 4 and parts[1] == "functions" and parts[3] == "invocations":
        name = parts[2]
        arn = (
            name
            if name.startswith("arn:")
            else f"arn:aws:lambda:{response.region}:{response.current_account}:function:{name}"
        )
        return [("InvokeFunction", arn)]
    return None


def _ses_checks(response: Any, action: str) -> list[tuple[str, str]] | None:
    source = response._get_param("Source")  # noqa: SLF001 - moto's API
    if action not in ("SendEmail", "SendRawEmail") or not source:
        return None
    address = source.rsplit("<", 1)[-1].rstrip(">").strip()
    return [(action, f"arn:aws:ses:{response.region}:{response.current_account}:identity/{address}")]


_CHECKS: dict[str, Callable[[Any, str], list[tuple[str, str]] | None]] = {
    "dynamodb": _dynamodb_checks,
    "stepfunctions": _states_checks,
    "ssm": _ssm_checks,
    "awslambda": _lambda_checks,
    "lambda": _lambda_checks,
    "ses": _ses_checks,
}


# AWS's codes for these refusals in the JSON protocols (moto answers every service in the XML of the query
# protocol, which botocore cannot parse for a JSON service: the caller would see the code "403").
_JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}


def _speaks_json(response: Any) -> bool:
    content_type = (response.headers.get("Content-Type") or response.headers.get("content-type") or "").lower()
    return content_type.startswith("application/x-amz-json") or response.service_name in ("awslambda", "lambda")


def _authorize_as_iam(self: Any, resource: str = "*") -> None:
    if ActionAuthenticatorMixin.request_count < moto_settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return _original_authorize(self, resource)
    try:
        checker = _CHECKS.get(getattr(self, "service_name", "") or "")
        checks = checker(self, self._get_action()) if checker else None  # noqa: SLF001 - moto's API
        if checks is None:
            return _original_authorize(self, resource)
        for action, arn in checks:
            self._authenticate_and_authorize_action(_request_class(action), arn)  # noqa: SLF001 - moto's API
    except (AccessDeniedError, InvalidClientTokenIdError, SignatureDoesNotMatchError) as error:
        if not _speaks_json(self):
            raise
        refusal = JsonRESTError(_JSON_CODES[error.error_type], error.message)
        refusal.code = 400 if error.error_type == "AccessDenied" else 403
        raise refusal from error
    return None


def iam_enforced() -> bool:
    return ActionAuthenticatorMixin.request_count >= moto_settings.INITIAL_NO_AUTH_ACTION_COUNT


def enforce_iam(enforced: bool = True) -> None:
    """From now on every request is authenticated and authorized (True), or none is (False, moto's default).
    One switch for decorator mode and the in-process server: both read these two values."""
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if enforced else float("inf")
    ActionAuthenticatorMixin.request_count = 0


# --- 8. Step Functions tasks with the state machine's role ---------------------------------------------------
_original_boto_client_for = sfn_boto_client.boto_client_for
_state_machine_credentials: dict[str, str] | None = None


_task_clients: dict[tuple[str, str, str], Any] = {}
_task_clients_lock = threading.Lock()


def _boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    if _state_machine_credentials is None:
        return _original_boto_client_for(region, service, state_credentials)
    kwargs: dict[str, Any] = {}
    if not botocore_stubber.enabled:
        # The in-process transport's URL when there is one (the server is in this process), else moto's. Over
        # moto's server socket instead, the local alert-to-page median was 216 ms against 120-132 ms in process
        # (decision 73); CI runs that wedged under load did so over the socket too.
        kwargs["endpoint_url"] = (
            _transport.base_url if _transport is not None else f"http://localhost:{moto_settings.moto_server_port()}"
        )
    key = (region, service, kwargs.get("endpoint_url", ""))
    with _task_clients_lock:  # boto3 clients are thread-safe once made; making one is not
        if key not in _task_clients:
            _task_clients[key] = boto3.client(
                service,
                region_name=region,
                config=Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1}),
                **_state_machine_credentials,
                **kwargs,
            )
        return _task_clients[key]


class InProcessTransport:
    """A botocore `before-send` handler: requests for `moto_url` are answered by moto's WSGI application in
    this thread (what the server would run for them), without a socket. Other URLs go out as usual."""

    def __init__(self, moto_url: str) -> None:
        # On use: moto's server application (Flask) only for the local stack, not for the tests' patches.
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self._base = moto_url.rstrip("/")
        self._app = DomainDispatcherApplication(create_backend_app)

    @property
    def base_url(self) -> str:
        return self._base

    def __call__(self, request: Any, **_kwargs: Any) -> Any:
        if request.url != self._base and not request.url.startswith(self._base + "/"):
            return None
        parts = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else request.body
        headers = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
        builder = EnvironBuilder(
            path=parts.path or "/",
            query_string=parts.query,
            method=request.method,
            headers=headers,
            data=body or b"",
            base_url=self._base,
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        app_iter, status, response_headers = run_wsgi_app(self._app, environ)
        try:
            data = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close:
                close()
        http_headers = HTTPHeaders()
        for name, value in response_headers.items():
            http_headers[name] = value
        return AWSResponse(request.url, int(status.split()[0]), http_headers, MockRawResponse(data))


_transport: InProcessTransport | None = None


def serve_in_process(moto_url: str) -> None:
    """Answer this process's boto3 requests for `moto_url` in-process (patch 6). Register before clients are
    created: a client copies its session's event handlers when it is made."""
    global _transport
    if _transport is None:
        _transport = InProcessTransport(moto_url)
        boto3._get_default_session().events.register_first("before-send", _transport)  # noqa: SLF001


def install(
    invoke: Callable[[str, dict[str, Any]], Any],
    *,
    time_scale: float = 1.0,
    state_machine_credentials: dict[str, str] | None = None,
) -> None:
    """Route Lambda invocations to `invoke(function_name, event)`, scale Step Functions time, make moto's
    DynamoDB safe and linear under concurrency, authorize as IAM does, and run Step Functions tasks with
    `state_machine_credentials` (boto3 client keyword arguments: aws_access_key_id, ...)."""
    global _invoke, _time_scale, _installed, _state_machine_credentials
    _invoke = invoke
    _time_scale = time_scale
    _state_machine_credentials = state_machine_credentials
    _task_clients.clear()
    if not _installed:
        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authorize_as_iam
        lambda_eval_utils.boto_client_for = _boto_client_for
        LambdaSimpleBackend.invoke = _hooked_invoke
        WaitFunction._wait_interval = _scaled_wait
        retrier_decl.time = _ScaledTime()
        DynamoHandler.call_action = _serialized_call_action
        DynamoDBBackend.transact_write_items = _transact_write_items
        dynamodb_models.copy = _TablesAreNotCopied()
        sqs_models.unix_time_millis = _fast_unix_time_millis
        SQSResponse.call_action = _scoped_sqs_call_action
        sqs_models.Queue.attributes = property(_queue_attributes)
        moto_backends.list_of_moto_modules = _cached_list_of_moto_modules
        Table.query = _partition_query
        Table.all_items = _all_items
        ExecutionWorker._get_evaluation_entrypoint = _cached_entrypoint
        StepFunctionsParserBackend._validate_definition = staticmethod(_cached_validate)
        _installed = True


def uninstall() -> None:
    global _invoke, _time_scale, _state_machine_credentials
    _invoke = None
    _time_scale = 1.0
    _state_machine_credentials = None
    _task_clients.clear()
    enforce_iam(False)
