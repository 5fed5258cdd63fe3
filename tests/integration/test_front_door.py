"""The front door under attack and in use, over raw sockets: a running FrontDoor (127.0.0.1, a free port) with
the template's routes. Each request-smuggling or slow-client attack is sent byte for byte to a door in front of
a recording stand-in for the functions (nothing may reach it); what must reach a function whole (chunked and
form bodies) goes to a door in front of the real handlers on moto."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import pytest

from oncall_local.front_door import MAX_PAYLOAD_BYTES, FrontDoor
from oncall_local.template import load_template
from oncall_local.topology import HttpRoute
from tests.integration.conftest import create_integration, ingest_path

READ_TIMEOUT = 0.5
SLACK = 3.0  # a loaded machine (make test runs a worker per core) is slow to schedule the door's thread


WEBHOOK = "/integrations/v1/webhook/TOKEN/"


def template_routes() -> list[HttpRoute]:
    return [
        HttpRoute(event["Properties"]["Method"].upper(), event["Properties"]["Path"], logical_id)
        for logical_id, resource in load_template()["Resources"].items()
        for event in (resource.get("Properties", {}).get("Events") or {}).values()
        if event["Type"] == "HttpApi"
    ]


class Recorder:
    """Stands in for the functions: records each event and answers 200 "Ok."."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def invoke(self, name: str, event: dict) -> dict:
        self.events.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '"Ok."'}


def running(routes, functions):
    front_door = FrontDoor("127.0.0.1", 0, routes, functions, read_timeout=READ_TIMEOUT)
    front_door.start()
    return _Stopping(front_door)


class _Stopping:
    def __init__(self, front_door: FrontDoor) -> None:
        self.front_door = front_door

    def __enter__(self) -> FrontDoor:
        return self.front_door

    def __exit__(self, *_: object) -> None:
        self.front_door.stop()


@pytest.fixture
def functions() -> Recorder:
    return Recorder()


@pytest.fixture
def door(functions):
    with running(template_routes(), functions) as front_door:
        yield front_door


@pytest.fixture
def door_without_catch_all(functions):
    """The door's own 404, for a template whose routes leave paths undeclared."""
    routes = [route for route in template_routes() if route.path != "/{proxy+}"]
    with running(routes, functions) as front_door:
        yield front_door


@pytest.fixture
def live_door(aws):
    """A door in front of the real handlers on moto."""
    with running(aws.topology.http_routes, aws.functions) as front_door:
        yield front_door


@pytest.fixture
def webhook(aws):
    return create_integration(aws, "webhook")


def connect(door: FrontDoor) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", door.port), timeout=5)
    return sock


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection (fails if it does not within `timeout`)."""
    sock.settimeout(timeout)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def responses(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The HTTP/1.1 responses in `raw`, in order (each framed by its Content-Length)."""
    parsed = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        parsed.append((int(status_line.split()[1]), headers, rest[:length]))
        raw = rest[length:]
    return parsed


def exchange(door: FrontDoor, data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Send `data`, close our side for writing, and read every response until the server closes."""
    with connect(door) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return responses(read_all(sock))


def request(method: str, path: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode() + b"\r\n" + body


def detail(body: bytes) -> str:
    parsed = json.loads(body)
    assert list(parsed) == ["detail"], parsed
    return parsed["detail"]


# ------------------------------------------------------------------------------------------- slowloris
def test_a_client_dribbling_its_headers_is_cut_off_at_the_deadline(door, functions):
    # given a client that sends its request one byte every 50 ms and never finishes it
    answer = b""
    start = time.monotonic()
    with connect(door) as sock:
        sock.sendall(f"POST {WEBHOOK} HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode())
        sock.settimeout(0.05)
        while not answer and time.monotonic() - start < 5:
            try:
                sock.sendall(b"x")
                answer = sock.recv(65536)
            except TimeoutError:
                continue
        elapsed = time.monotonic() - start
        with contextlib.suppress(ConnectionResetError):  # our last byte met a closed socket: what came before counts
            answer += read_all(sock)
    # then the door answers 408 in JSON and closes at its read deadline, not when the client stops
    [(status, headers, body)] = responses(answer)
    assert status == 408 and headers["connection"] == "close"
    assert "did not arrive" in detail(body)
    assert READ_TIMEOUT <= elapsed < READ_TIMEOUT + SLACK


def test_a_body_that_never_comes_is_cut_off_at_the_deadline(door, functions):
    # given a request announcing 100 bytes and sending 10
    with connect(door) as sock:
        sock.sendall(request("POST", WEBHOOK, [("Content-Length", "100")], b"0123456789"))
        start = time.monotonic()
        [(status, _, body)] = responses(read_all(sock))
    # then it is refused at the deadline and the connection is closed
    assert status == 408 and time.monotonic() - start < READ_TIMEOUT + SLACK
    assert detail(body)


def test_an_idle_connection_is_closed_without_an_answer(door):
    with connect(door) as sock:
        start = time.monotonic()
        assert read_all(sock) == b""
    assert time.monotonic() - start < READ_TIMEOUT + SLACK


# ------------------------------------------------------------------------------------------- Content-Length
@pytest.mark.parametrize("value", ["-1", "abc", "+5", "0x10", "1e3", "5, 5", "", "5 5"])
def test_an_invalid_content_length_is_400(door, functions, value):
    [(status, headers, body)] = exchange(door, request("POST", WEBHOOK, [("Content-Length", value)], b"hello"))
    assert status == 400 and headers["connection"] == "close" and "Content-Length" in detail(body)
    assert functions.events == []


def test_two_content_lengths_are_400(door, functions):
    data = request("POST", WEBHOOK, [("Content-Length", "5"), ("Content-Length", "5")], b"hello")
    [(status, _, body)] = exchange(door, data)
    assert status == 400 and "Content-Length" in detail(body)


# ------------------------------------------------------------------------------------------- chunked
def test_a_chunked_body_is_decoded_and_reaches_the_function_whole(aws, live_door, webhook):
    # given an alert sent in three chunks (with a chunk extension and a trailer)
    body = b'{"title": "Disk full", "state": "alerting"}'
    chunked = b"5;ext=1\r\n" + body[:5] + b"\r\n" + b"A\r\n" + body[5:15] + b"\r\n"
    chunked += f"{len(body) - 15:x}\r\n".encode() + body[15:] + b"\r\n0\r\nX-Trailer: t\r\n\r\n"
    data = request(
        "POST",
        ingest_path(webhook),
        [("Transfer-Encoding", "chunked"), ("Content-Type", "application/json")],
        chunked,
    )
    [(status, _, answer)] = exchange(live_door, data)
    # then the alert is accepted with the decoded body
    assert (status, json.loads(answer)) == (200, "Ok.")
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={webhook['id']}").body["results"]
    assert group["title"] == "Disk full"


@pytest.mark.parametrize(
    "chunked",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # not hex
        b"-5\r\nhello\r\n0\r\n\r\n",  # signed
        b"0x5\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloXX0\r\n\r\n",  # data not followed by CRLF
        b"5\nhello\r\n0\r\n\r\n",  # bare LF
    ],
)
def test_a_malformed_chunked_body_is_400(door, functions, chunked):
    data = request("POST", WEBHOOK, [("Transfer-Encoding", "chunked")], chunked)
    [(status, headers, body)] = exchange(door, data)
    assert status == 400 and headers["connection"] == "close" and detail(body)
    assert functions.events == []


@pytest.mark.parametrize("encoding", ["gzip, chunked", "chunked, identity", "identity", "xchunked", "chunked\x0b"])
def test_a_transfer_encoding_other_than_chunked_is_400(door, functions, encoding):
    data = request("POST", WEBHOOK, [("Transfer-Encoding", encoding)], b"0\r\n\r\n")
    [(status, _, body)] = exchange(door, data)
    assert status == 400 and "Transfer-Encoding" in detail(body)


def test_chunked_bodies_are_held_to_the_payload_limit(door, functions):
    # given chunks that add up to more than 6 MB
    chunk = b"x" * (1024 * 1024)
    chunked = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(7)) + b"0\r\n\r\n"
    data = request("POST", WEBHOOK, [("Transfer-Encoding", "chunked")], chunked)
    with connect(door) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the door stops reading at the limit
            sock.sendall(data)
        [(status, _, body)] = responses(read_all(sock))
    assert status == 413 and "6 MB" in detail(body)


# ------------------------------------------------------------------------------------------- smuggling
def test_content_length_with_transfer_encoding_is_400_and_nothing_after_it_is_parsed(door, functions):
    # given a request that a front proxy reading Content-Length and a server reading chunked would split
    # differently: a second request hides after the empty chunk
    smuggled = request("DELETE", "/api/v1/integrations/CID/", [("Authorization", "admin-test-token")])
    body = b"0\r\n\r\n" + smuggled
    data = request(
        "POST",
        WEBHOOK,
        [("Content-Length", str(len(body))), ("Transfer-Encoding", "chunked")],
        body,
    )
    # then exactly one answer comes back, a 400, and the connection is closed
    [(status, headers, answer)] = exchange(door, data)
    assert status == 400 and headers["connection"] == "close"
    assert "Content-Length and Transfer-Encoding" in detail(answer)
    # and neither it nor the hidden request reached a function
    assert functions.events == []


def test_pipelined_requests_are_still_served_in_order(door_without_catch_all, functions):
    door = door_without_catch_all
    # given two well-framed requests on one connection (no attack: HTTP/1.1 keep-alive)
    body = b'{"title": "one"}'
    first = request("POST", WEBHOOK, [("Content-Type", "application/json"), ("Content-Length", "16")], body)
    second = request("GET", "/nothing-here", [("Connection", "close")])
    answers = exchange(door, first + second)
    assert [status for status, _, _ in answers] == [200, 404]


# ------------------------------------------------------------------------------------------- limits, 404
def test_a_body_over_6_mb_is_413_before_it_is_read_or_the_function_runs(door, functions):
    with connect(door) as sock:
        # the headers alone: the door answers without waiting for the body
        sock.sendall(request("POST", WEBHOOK, [("Content-Length", str(MAX_PAYLOAD_BYTES + 1))]))
        [(status, headers, body)] = responses(read_all(sock))
    assert status == 413 and headers["connection"] == "close" and "6 MB" in detail(body)
    assert functions.events == []


def test_a_body_over_6_mb_gets_no_100_continue(door, functions):
    # given a client that waits for "100 Continue" before sending 7 MB
    headers = [("Content-Length", str(7 * 1024 * 1024)), ("Expect", "100-continue")]
    with connect(door) as sock:
        sock.sendall(request("POST", WEBHOOK, headers))
        [(status, _, body)] = responses(read_all(sock))
    # then it is told 413 at once, not invited to send
    assert status == 413 and "6 MB" in detail(body)


def test_an_event_over_6_mb_after_base64_is_413_and_the_function_does_not_run(door, functions):
    # given a 5 MB binary body: under the limit as sent, over it once API Gateway base64-encodes it
    body = b"\x00" * (5 * 1024 * 1024)
    headers = [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))]
    [(status, _, answer)] = exchange(door, request("POST", WEBHOOK, headers, body) + b"")
    assert status == 413 and "6 MB" in detail(answer)
    assert functions.events == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/actions/abc/"), ("GET", "/nothing"), ("PUT", "/actions/abc"), ("GET", "/api/v1")],
)
def test_unrouted_requests_are_a_json_404(door_without_catch_all, functions, method, path):
    [(status, headers, body)] = exchange(door_without_catch_all, request(method, path, [("Connection", "close")]))
    assert status == 404 and headers["content-type"] == "application/json"
    assert detail(body) == "Not found."


@pytest.mark.parametrize(("method", "path"), [("GET", "/actions/abc/x"), ("GET", "/nothing"), ("POST", "/api/v1")])
def test_paths_no_route_declares_get_the_apis_json_404_through_the_catch_all(live_door, method, path):
    # given the template's catch-all route (API Gateway would answer {"message": "Not Found"} itself)
    [(status, headers, body)] = exchange(live_door, request(method, path, [("Connection", "close")]))
    # then the API function answers, in the service's one error shape
    assert status == 404 and headers["content-type"].startswith("application/json")
    assert detail(body) == "Not found."


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",  # 505
        b"GET /api/v1/integrations/\r\n\r\n",  # HTTP/0.9: no headers, no status line; refused
        b"GET /api/v1/ HTTP/1.1\r\n" + b"".join(f"X-{i}: v\r\n".encode() for i in range(120)) + b"\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    ],
)
def test_what_the_http_parser_refuses_is_json_too(door, raw):
    [(status, headers, body)] = exchange(door, raw)
    assert status in (400, 414, 431, 505) and headers["content-type"] == "application/json" and detail(body)


# ------------------------------------------------------------------------------------------- what AWS sends
def test_a_form_post_reaches_ingest_base64_encoded_and_is_parsed(aws, live_door, webhook):
    # given a sender posting an HTML form (API Gateway hands such bodies over base64)
    body = b"title=Form+alert&state=alerting"
    headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", str(len(body)))]
    [(status, _, _)] = exchange(
        live_door, request("POST", ingest_path(webhook), headers + [("Connection", "close")], body)
    )
    assert status == 200
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={webhook['id']}").body["results"]
    assert group["title"] == "Form alert"


def test_the_event_the_function_gets_is_the_http_api_one(door, functions):
    # given a form post with cookies, a repeated header, a client's X-Forwarded-Proto and an encoded path
    headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", "3"),
        ("Cookie", "session=s1; theme=dark"),
        ("X-Forwarded-Proto", "https"),  # a client's claim: API Gateway sets this itself
        ("X-Multi", "1"),
        ("X-Multi", "2"),
        ("Connection", "close"),
    ]
    exchange(door, request("POST", "/integrations/v1/webhook/TOKEN%2Dx/?q=1&q=2", headers, b"a=1"))
    # then the function gets the event API Gateway would build
    [event] = functions.events
    assert event["routeKey"] == "ANY /integrations/v1/{proxy+}"
    assert event["pathParameters"] == {"proxy": "webhook/TOKEN-x/"}
    assert event["isBase64Encoded"] is True and event["body"] == "YT0x"
    assert event["cookies"] == ["session=s1", "theme=dark"] and "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "1,2" and event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1" and event["headers"]["content-length"] == "3"
    assert event["rawPath"] == "/integrations/v1/webhook/TOKEN-x/" and event["rawQueryString"] == "q=1&q=2"
    assert event["queryStringParameters"] == {"q": "1,2"}
    assert "multiValueHeaders" not in event


def test_a_failing_function_is_one_json_500_even_when_it_times_out_itself(door, functions, monkeypatch):
    # given a function that fails with a timeout of its own (not the door's read deadline)
    def fail(name, event):
        raise TimeoutError("the function's own call timed out")

    monkeypatch.setattr(functions, "invoke", fail)
    body = b'{"a": 1}'
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")]
    # then the client gets exactly one answer, a JSON 500
    [(status, _, answer)] = exchange(door, request("POST", WEBHOOK, headers, body))
    assert status == 500 and detail(answer) == "Internal Server Error"
