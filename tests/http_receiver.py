"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 in a thread, answering from a script
(status, headers, body[, delay seconds]) — e.g. a slow answer, then 500, then 200 — and recording every
request it got."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from requests.structures import CaseInsensitiveDict

Reply = tuple[int, dict[str, str], bytes] | tuple[int, dict[str, str], bytes, float]
OK: Reply = (200, {"Content-Type": "application/json"}, b'{"ok": true}')


@dataclass
class Captured:
    method: str
    path: str
    headers: CaseInsensitiveDict
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, script: list[Reply] | None = None, *, default: Reply = OK, delay: float = 0.0) -> None:
        self.script = list(script or [])
        self.default = default
        self.delay = delay
        self.requests: list[Captured] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._lock:
                    receiver.requests.append(
                        Captured(self.command, self.path, CaseInsensitiveDict(self.headers.items()), body, time.time())
                    )
                    reply = receiver.script.pop(0) if receiver.script else receiver.default
                status, headers, content = reply[:3]
                delay = reply[3] if len(reply) > 3 else receiver.delay
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="receiver", daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Captured]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)
