"""A small client of the management API for the CLI: ONCALL_URL and ONCALL_TOKEN configure it."""

from __future__ import annotations

import os
from typing import Any

import requests


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.body = body


class ConfigurationError(Exception):
    pass


class OnCallClient:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 15) -> None:
        self.url = (url or os.environ.get("ONCALL_URL", "")).rstrip("/")
        self.token = token or os.environ.get("ONCALL_TOKEN", "")
        if not self.url or not self.token:
            raise ConfigurationError("Set ONCALL_URL and ONCALL_TOKEN (`make run` prints both).")
        self._session = requests.Session()
        self._session.headers["Authorization"] = self.token
        self._timeout = timeout

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._session.request(
            method, f"{self.url}/api/v1/{path.strip('/')}/", timeout=self._timeout, **kwargs
        )
        try:
            body = response.json() if response.content else None
        except ValueError:
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
        objects = self.list_all(resource)
        for candidate in objects:
            if reference == candidate["id"] or any(reference == candidate.get(n) for n in names):
                return candidate
        for candidate in objects:
            if any(reference.lower() == str(candidate.get(n) or "").lower() for n in names):
                return candidate
        raise ApiError(404, {"detail": f"No {resource.rstrip('s')} with id or name {reference!r}."})

    def find_integration(self, reference: str) -> dict[str, Any]:
        """An integration by id or by name."""
        for integration in self.list_all("integrations"):
            if reference in (integration["id"], integration["name"]):
                return integration
        raise ApiError(404, {"detail": f"No integration with id or name {reference!r}."})
