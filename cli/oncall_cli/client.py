"""A small client of the management API for the CLI.

Where it connects: `ONCALL_URL` and `ONCALL_TOKEN`, else the file `oncall login` wrote (see `config.py`).
"""

from __future__ import annotations

import time
from typing import Any

import requests

from oncall_cli import config
from oncall_cli.config import ConfigurationError

USER_AGENT = "oncall-cli/0.1"
# 429 answers are retried this many times, waiting what Retry-After / RateLimit-Reset says (at most 30 s).
RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT_SECONDS = 30.0


class ApiError(Exception):
    """The API answered with an error (or could not be reached: status 0)."""

    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {detail}" if status else str(detail))
        self.status = status
        self.body = body

    @property
    def not_found(self) -> bool:
        return self.status == 404


def not_found(message: str) -> ApiError:
    return ApiError(404, {"detail": message})


class OnCallClient:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 15) -> None:
        if url and token:
            self.url, self.token, self.source = url.rstrip("/"), token, "arguments"
        else:
            found = config.resolve()
            if found is None:
                raise ConfigurationError(
                    "Not configured: set ONCALL_URL and ONCALL_TOKEN (`make run` prints both) or run `oncall login`."
                )
            self.url, self.token, self.source = found.url, found.token, found.source
        self._session = requests.Session()
        self._session.headers.update({"Authorization": self.token, "User-Agent": USER_AGENT})
        self._timeout = timeout
        self.sleep = time.sleep

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.url}/api/v1/{path.strip('/')}/"
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response = self._session.request(method, url, timeout=self._timeout, **kwargs)
            except requests.RequestException as error:
                raise ApiError(0, f"Cannot reach {self.url}: {type(error).__name__}") from error
            if response.status_code == 429 and attempt < RATE_LIMIT_RETRIES:
                self.sleep(_retry_after(response))
                continue
            break
        try:
            body = response.json() if response.content else None
        except ValueError:
            if response.status_code < 400:  # every API answer is JSON: this is not the API
                raise ApiError(
                    response.status_code, f"{url} did not answer with JSON: is {self.url} the base URL of the API?"
                ) from None
            body = response.text
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body

    def list_all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.request("GET", path, params={**params, "page": page, "perpage": 100})
            results.extend(body["results"])
            if not body.get("next"):
                return results
            page += 1

    def find(self, resource: str, reference: str, *, names: tuple[str, ...] = ("name",)) -> dict[str, Any]:
        """An object of `resource` by id or by one of its name fields (exact match, then case-insensitive)."""
        return find_in(self.list_all(resource), reference, resource, names=names)

    def find_integration(self, reference: str) -> dict[str, Any]:
        """An integration by id or by name."""
        return self.find("integrations", reference)


def find_in(
    objects: list[dict[str, Any]], reference: str, resource: str, *, names: tuple[str, ...] = ("name",)
) -> dict[str, Any]:
    for candidate in objects:
        if reference == candidate.get("id") or any(reference == candidate.get(n) for n in names):
            return candidate
    for candidate in objects:
        if any(reference.lower() == str(candidate.get(n) or "").lower() for n in names):
            return candidate
    kind = resource.rstrip("s").replace("_", " ")
    raise not_found(f"No {kind} with id or {' or '.join(names)} {reference!r}.")


def _retry_after(response: requests.Response) -> float:
    for header in ("Retry-After", "RateLimit-Reset"):
        value = response.headers.get(header)
        if value:
            try:
                return min(max(float(value), 0.0), MAX_RETRY_WAIT_SECONDS)
            except ValueError:
                continue
    return 1.0
