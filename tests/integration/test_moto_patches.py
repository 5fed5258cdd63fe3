"""Guards for every patch in oncall_local.moto_patches: if moto's internals move, these fail loudly."""

import contextlib
import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from oncall_local import moto_patches


def test_patched_names_still_exist_in_moto(aws):
    import inspect

    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    # the signatures we replace are still the ones moto calls
    assert list(inspect.signature(moto_patches._original_invoke).parameters) == [
        "self",
        "function_name",
        "qualifier",
        "body",
        "headers",
        "response_headers",
    ]
    assert LambdaSimpleBackend.invoke is moto_patches._hooked_invoke
    assert WaitFunction._wait_interval is moto_patches._scaled_wait
    assert isinstance(retrier_decl.time, moto_patches._ScaledTime)
    # the DynamoDB and SQS request paths we serialise/speed up are still moto's
    import moto.dynamodb.models as dynamodb_models
    import moto.sqs.models as sqs_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.responses import SQSResponse

    assert DynamoHandler.call_action is moto_patches._serialized_call_action
    assert DynamoDBBackend.transact_write_items is moto_patches._transact_write_items
    assert isinstance(dynamodb_models.copy, moto_patches._TablesAreNotCopied)
    assert SQSResponse.call_action is moto_patches._scoped_sqs_call_action
    assert sqs_models.Queue.attributes.fget is moto_patches._queue_attributes
    assert list(inspect.signature(moto_patches._original_transact_write_items).parameters) == ["self", "transact_items"]


def test_lambda_invoke_reaches_the_real_handler(aws):
    # given the hook is installed, when Lambda is invoked through the AWS API
    before = aws.functions.invocations["EscalateFunction"]
    state = {"group_id": "Inope", "kind": "escalation", "step": 0, "repetition": 0, "done": False, "wait_seconds": 0}
    state |= {"last_wait": False, "data": {}}
    response = boto3.client("lambda").invoke(
        FunctionName="EscalateFunction", Payload=json.dumps({"state": state, "execution": "Inope"})
    )
    # then our escalate handler answered (a missing group means "done")
    assert json.loads(response["Payload"].read()) == {**state, "done": True}
    assert aws.functions.invocations["EscalateFunction"] == before + 1


def test_handler_exceptions_become_lambda_function_errors(aws):
    response = boto3.client("lambda").invoke(FunctionName="EscalateFunction", Payload=json.dumps({"bad": 1}))
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "ValidationError"


def test_step_functions_waits_are_time_scaled(aws):
    sfn = boto3.client("stepfunctions")
    definition = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 300, "Next": "D"}, "D": {"Type": "Succeed"}},
    }
    arn = sfn.create_state_machine(
        name="wait-probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/x"
    )["stateMachineArn"]
    started = time.monotonic()
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() - started < 5, "a 300 s wait at scale 0.001 must take well under 5 s"
        time.sleep(0.02)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"


def _table(aws):
    return boto3.client("dynamodb"), aws.topology.table_name


def test_failed_transaction_rolls_back_only_what_it_touched(aws):
    ddb, table = _table(aws)
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "other"}, "sk": {"S": "1"}})
    try:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}, "sk": {"S": "1"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "missing"}, "sk": {"S": "1"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    except ddb.exceptions.TransactionCanceledException:
        pass
    else:
        raise AssertionError("the transaction should have been cancelled")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "new"}, "sk": {"S": "1"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"S": "1"}})["Item"]["v"] == {"N": "1"}
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "other"}, "sk": {"S": "1"}})


def test_transactions_do_not_copy_tables_and_survive_concurrent_writers(aws):
    import threading

    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    ddb, table = _table(aws)
    probe = Table.__new__(Table)
    assert dynamodb_models.copy.deepcopy(probe) is probe
    errors = []

    def writer(prefix):
        try:
            for n in range(150):
                ddb.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": table, "Item": {"pk": {"S": f"{prefix}{n}"}, "sk": {"S": "x"}}}},
                        {
                            "Update": {
                                "TableName": table,
                                "Key": {"pk": {"S": "counter"}, "sk": {"S": prefix}},
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}},
                            }
                        },
                    ]
                )
                ddb.put_item(TableName=table, Item={"pk": {"S": f"plain-{prefix}{n}"}, "sk": {"S": "x"}})
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(p,)) for p in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = [
        ddb.get_item(TableName=table, Key={"pk": {"S": "counter"}, "sk": {"S": p}})["Item"]["n"]["N"] for p in "abc"
    ]
    assert counts == ["150", "150", "150"]


def test_dynamodb_requests_are_serialized_like_dynamodb(aws):
    # a conditional write raced by many threads succeeds exactly once
    import threading

    ddb = boto3.client("dynamodb")
    barrier = threading.Barrier(8)
    wins = []

    def race(n: int) -> None:
        barrier.wait()
        try:
            ddb.put_item(
                TableName=aws.topology.table_name,
                Item={"pk": {"S": "RACE"}, "sk": {"S": "RACE"}, "n": {"N": str(n)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            wins.append(n)
        except ddb.exceptions.ConditionalCheckFailedException:
            pass

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1


def test_sqs_patches_keep_attributes_and_counts_exact(aws):
    import moto.sqs.models as sqs_models

    assert sqs_models.unix_time_millis is moto_patches._fast_unix_time_millis
    sqs = boto3.client("sqs")
    url = aws.topology.ingest_queue_url
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody="{}", MessageGroupId="g", MessageDeduplicationId=f"d{n}")
    sqs.send_message(QueueUrl=url, MessageBody="{}", MessageGroupId="g", MessageDeduplicationId="d0")  # dup
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "5" and attributes["FifoQueue"] == "true"
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "3",
        "2",
    )
    assert len(received) == 2


def test_concurrent_conditional_transactions_cannot_undo_each_other(aws):
    # given many threads racing to create the same item with a transaction that also writes a second item
    import threading

    ddb = boto3.client("dynamodb")
    table = aws.topology.table_name
    # a table big enough that moto's copy-for-rollback takes a while (the window where writers interleave)
    filler = [{"PutRequest": {"Item": {"pk": {"S": f"F#{i}"}, "sk": {"S": "F"}}}} for i in range(1500)]
    for start in range(0, len(filler), 25):
        ddb.batch_write_item(RequestItems={table: filler[start : start + 25]})
    barrier = threading.Barrier(8)
    outcomes, failures = [], []

    def writer(n):
        barrier.wait(timeout=5)
        try:
            ddb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, "Item": {"pk": {"S": f"W#{n}"}, "sk": {"S": "W"}}}},
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {"pk": {"S": "RACE"}, "sk": {"S": "RACE"}, "n": {"N": str(n)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
            outcomes.append(n)
        except ddb.exceptions.TransactionCanceledException:
            pass  # lost the race, as all but one must
        except Exception as error:  # noqa: BLE001 - anything else is moto tripping over a concurrent write
            failures.append(repr(error))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # then exactly one won, nothing else broke, and its writes are all there (no loser's rollback erased them)
    assert failures == []
    assert len(outcomes) == 1
    [winner] = outcomes
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "RACE"}, "sk": {"S": "RACE"}})["Item"]
    assert item["n"]["N"] == str(winner)
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": f"W#{winner}"}, "sk": {"S": "W"}})


def test_moto_server_module_listing_is_computed_once(aws):
    import moto.backends as moto_backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    # the dispatcher still recognises services through backends.list_of_moto_modules (our cached copy)
    assert moto_backends.list_of_moto_modules is moto_patches._cached_list_of_moto_modules
    assert "dynamodb" in moto_patches._cached_list_of_moto_modules()
    assert tuple(moto_patches._original_list_of_moto_modules()) == moto_patches._cached_list_of_moto_modules()
    dispatcher = DomainDispatcherApplication(create_backend_app)
    assert dispatcher.get_backend_for_host("dynamodb") == "dynamodb"
    calls = []
    original = moto_patches._original_list_of_moto_modules
    moto_patches._original_list_of_moto_modules = lambda: calls.append(1) or original()
    try:
        dispatcher.get_backend_for_host("sqs")
    finally:
        moto_patches._original_list_of_moto_modules = original
    assert calls == []


def test_in_process_transport_answers_from_the_servers_backend_without_a_socket():
    # given a moto server in this process, and a client of this process pointed at it
    import socket

    from moto.server import ThreadedMotoServer

    from oncall_local.process import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    credentials = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    session = boto3.session.Session()
    transport = moto_patches.InProcessTransport(url)
    session.events.register_first("before-send", transport)
    try:
        in_process = session.client("sqs", endpoint_url=url, **credentials)
        over_http = boto3.session.Session().client("sqs", endpoint_url=url, **credentials)
        connects = []
        original_connect = socket.socket.connect
        socket.socket.connect = lambda self, address: connects.append(address) or original_connect(self, address)
        try:
            queue = in_process.create_queue(QueueName="in-process")["QueueUrl"]
            in_process.send_message(QueueUrl=queue, MessageBody="hello")
        finally:
            socket.socket.connect = original_connect
        # then no connection was opened, and a client over HTTP sees the same queue and message
        assert connects == []
        [message] = over_http.receive_message(QueueUrl=queue)["Messages"]
        assert message["Body"] == "hello"
        # and requests for other URLs are left to botocore
        assert transport(type("Request", (), {"url": "https://sqs.us-east-1.amazonaws.com/"})()) is None
    finally:
        server.stop()


# --- 7. IAM as AWS evaluates it; 8. Step Functions tasks with the state machine's role -------------------
def _role_client(aws, service: str, role: str):
    """A client signing as `role` (a fresh AssumeRole would be refused now: IAM is enforced)."""
    spec = next(s for s in aws.topology.functions.values() if s.role_arn.endswith(f"/oncall-local-{role}"))
    return boto3.client(service, **spec.credentials.client_kwargs())


def test_moto_enforces_iam_through_the_two_values_we_set(aws):
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    # given the aws fixture enforced IAM
    assert settings.INITIAL_NO_AUTH_ACTION_COUNT == 0 and moto_patches.iam_enforced()
    assert ActionAuthenticatorMixin._authenticate_and_authorize_normal_action is moto_patches._authorize_as_iam
    # then unknown credentials are refused, as AWS refuses them
    stranger = boto3.client("sqs", aws_access_key_id="AKIASTRANGER", aws_secret_access_key="x")
    try:
        stranger.list_queues()
        raise AssertionError("unknown credentials were accepted")
    except stranger.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "UnrecognizedClientException"  # SQS speaks JSON


def test_dynamodb_is_authorized_on_the_table_and_transactions_as_their_actions(aws):
    table = aws.topology.table_name
    # given the ingest role (DynamoDB read/write on the table, DeleteItem; no ConditionCheckItem)
    ddb = _role_client(aws, "dynamodb", "IngestFunctionRole")
    # then calls on its table pass, on the ARN moto would otherwise not compare (resource "*")
    ddb.put_item(TableName=table, Item={"pk": {"S": "iam"}, "sk": {"S": "1"}})
    ddb.query(TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "iam"}})
    # and a transaction is authorized as the actions inside it: Put and Update pass...
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "iam"}, "sk": {"S": "2"}}}},
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "iam"}, "sk": {"S": "1"}},
                    "UpdateExpression": "SET a = :a",
                    "ExpressionAttributeValues": {":a": {"S": "x"}},
                }
            },
        ]
    )
    # ...a ConditionCheck it may not do fails the whole transaction
    try:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "iam"}, "sk": {"S": "1"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            ]
        )
        raise AssertionError("ConditionCheckItem was allowed")
    except ddb.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException"
    # and another table is refused
    try:
        ddb.get_item(TableName="someone-elses", Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
        raise AssertionError("another table was readable")
    except ddb.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException"


def test_states_parameters_and_lambda_are_authorized_on_their_arns(aws):
    # given the API role: executions of the escalation state machine, the admin token and action-link keys
    sfn = _role_client(aws, "stepfunctions", "ApiFunctionRole")
    ssm = _role_client(aws, "ssm", "ApiFunctionRole")
    missing = aws.topology.state_machine_arn.replace(":stateMachine:", ":execution:") + ":nothing-here"
    with contextlib.suppress(sfn.exceptions.ExecutionDoesNotExist):
        sfn.stop_execution(executionArn=missing)  # allowed: the answer is about the execution, not IAM
    name = aws.topology.admin_token_parameter
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    # but not another parameter of the account (IAM compares the parameter's ARN, not "*")
    harness = boto3.client("ssm", **aws.topology.harness_credentials.client_kwargs())
    harness.put_parameter(Name="/someone-else/key", Value="x", Type="SecureString")
    try:
        ssm.get_parameter(Name="/someone-else/key", WithDecryption=True)
        raise AssertionError("the API role read another parameter")
    except ssm.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException"
    # the ingest role holds none of them
    ingest_ssm = _role_client(aws, "ssm", "IngestFunctionRole")
    try:
        ingest_ssm.get_parameter(Name=name, WithDecryption=True)
        raise AssertionError("the ingest role read the admin token")
    except ingest_ssm.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException"
    # and Lambda's Invoke is IAM's lambda:InvokeFunction on the function's ARN (the state machine's role)
    lam = boto3.client("lambda", **aws.topology.state_machine_credentials.client_kwargs())
    response = lam.invoke(FunctionName="EscalateFunction", Payload=b"{}")
    assert response["StatusCode"] == 200
    try:
        lam.invoke(FunctionName="ApiFunction", Payload=b"{}")
        raise AssertionError("the state machine invoked another function")
    except lam.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException"


def test_step_functions_tasks_sign_with_the_state_machines_credentials(aws):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    # given the patch is where moto's Lambda task looks for its client
    assert lambda_eval_utils.boto_client_for is moto_patches._boto_client_for
    assert list(__import__("inspect").signature(moto_patches._original_boto_client_for).parameters) == [
        "region",
        "service",
        "state_credentials",
    ]
    # then the client it makes carries the state machine role's keys, not moto's fixed "ak"
    client = lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda")
    frozen = client._request_signer._credentials.get_frozen_credentials()
    assert frozen.access_key == aws.topology.state_machine_credentials.access_key
    # and it is made once: every task of every execution reuses it (making one costs milliseconds)
    assert lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda") is client


# --- 9. DynamoDB Query reads one partition --------------------------------------------------------------
def test_query_on_the_table_key_answers_as_moto_did_from_the_partition_alone(aws):
    import inspect

    from moto.dynamodb.models.table import Table

    # given the patch is where moto's backend queries a table, with index_name where we look for it
    assert Table.query is moto_patches._partition_query and Table.all_items is moto_patches._all_items
    assert list(inspect.signature(moto_patches._original_query).parameters)[1:9] == [
        "hash_key",
        "range_comparison",
        "range_objs",
        "limit",
        "exclusive_start_key",
        "scan_index_forward",
        "projection_expressions",
        "index_name",
    ]
    ddb, table = _table(aws)
    for pk in ("p", "q", "pp"):
        for sk in ("GROUP", "GROUP#COUNTS", "LOG#2", "LOG#1", "A"):
            ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": f"{pk}/{sk}"}})
    listed: list[int] = []
    original = moto_patches._original_all_items
    moto_patches._original_all_items = lambda self: listed.append(1) or original(self)  # counts full listings
    try:

        def query(**extra):
            return ddb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "p"}},
                ConsistentRead=True,
                **extra,
            )

        # when partitions are queried as our store does: all of one, a prefix, backwards, in pages
        everything = [i["sk"]["S"] for i in query()["Items"]]
        prefix = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :g)",
            ExpressionAttributeValues={":pk": {"S": "p"}, ":g": {"S": "GROUP"}},
        )["Items"]
        backwards = [i["sk"]["S"] for i in query(ScanIndexForward=False)["Items"]]
        first = query(Limit=2)
        rest = query(ExclusiveStartKey=first["LastEvaluatedKey"])
        missing = ddb.query(
            TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "none"}}
        )
    finally:
        moto_patches._original_all_items = original
    # then the answers are DynamoDB's (and moto's): only that partition, in sort-key order
    assert everything == ["A", "GROUP", "GROUP#COUNTS", "LOG#1", "LOG#2"]
    assert [(i["sk"]["S"], i["v"]["S"]) for i in prefix] == [("GROUP", "p/GROUP"), ("GROUP#COUNTS", "p/GROUP#COUNTS")]
    assert backwards == list(reversed(everything))
    assert [i["sk"]["S"] for i in first["Items"] + rest["Items"]] == everything
    assert missing["Items"] == [] and missing["Count"] == 0
    # and no Query listed the whole table, nor left an empty partition behind
    assert listed == []
    assert not any(k.value == "none" for k in aws_table(table).items)
    # while a query on an index and a scan still see every item
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] >= 15


def aws_table(name: str):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[name]


# --- 10. Step Functions parses a definition once --------------------------------------------------------
def test_each_definition_is_parsed_once_and_executions_get_their_own_copy(aws):
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    assert ExecutionWorker._get_evaluation_entrypoint is moto_patches._cached_entrypoint
    sfn = boto3.client("stepfunctions")
    definition = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"}, "P": {"Type": "Pass", "End": True}},
    }
    arn = sfn.create_state_machine(
        name="parse-probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/x"
    )["stateMachineArn"]
    parsed: list[int] = []
    programs: list[object] = []
    original_parse = moto_patches._original_entrypoint
    moto_patches._original_entrypoint = lambda worker: parsed.append(1) or original_parse(worker)
    ExecutionWorker._get_evaluation_entrypoint = lambda worker: (
        programs.append(moto_patches._cached_entrypoint(worker)) or programs[-1]
    )
    try:
        executions = [
            sfn.start_execution(stateMachineArn=arn, name=f"probe-{n}", input=json.dumps({"n": n}))["executionArn"]
            for n in (1, 2)
        ]
        started = time.monotonic()
        while any(sfn.describe_execution(executionArn=e)["status"] == "RUNNING" for e in executions):
            assert time.monotonic() - started < 5
            time.sleep(0.02)
    finally:
        moto_patches._original_entrypoint = original_parse
        ExecutionWorker._get_evaluation_entrypoint = moto_patches._cached_entrypoint
    # then both ran to the end with their own input, from one parse and two distinct programs
    assert [json.loads(sfn.describe_execution(executionArn=e)["output"]) for e in executions] == [{"n": 1}, {"n": 2}]
    assert parsed == [1]
    assert len(programs) == 2 and programs[0] is not programs[1]


def test_a_valid_definition_is_validated_once_and_an_invalid_one_is_refused_every_time(aws):
    # given the validation CreateStateMachine runs, counted
    assert StepFunctionsParserBackend._validate_definition is moto_patches._cached_validate
    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/x"
    parsed: list[str] = []
    original = moto_patches._original_validate
    moto_patches._original_validate = lambda definition: parsed.append(definition) or original(definition)
    valid = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Comment": "validate-probe"}}})
    invalid = json.dumps({"StartAt": "Nowhere", "States": {"P": {"Type": "Nope"}}})
    try:
        # when the same valid definition is created twice, and an invalid one twice
        for name in ("validate-a", "validate-b"):
            sfn.create_state_machine(name=name, definition=valid, roleArn=role)
        refusals = []
        for name in ("invalid-a", "invalid-b"):
            with pytest.raises(ClientError, match="ASLParserException") as refused:
                sfn.create_state_machine(name=name, definition=invalid, roleArn=role)
            refusals.append(refused.value)
    finally:
        moto_patches._original_validate = original
    # then the valid one was parsed once, and the invalid one was parsed, and refused, both times
    assert parsed == [valid, invalid, invalid] and len(refusals) == 2
