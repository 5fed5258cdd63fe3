"""The in-memory webhooks of the store fake (same contract as storage/dynamo/webhooks.py)."""

from __future__ import annotations

from datetime import datetime

from oncall.models import (
    Webhook,
    WebhookResponse,
)
from oncall.storage.protocols import (
    WebhookNameTakenError,
)
from tests.fakes.store.table import FakeTable


class FakeWebhooks(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.webhooks: dict[str, Webhook] = {}
        self.webhook_claims: dict[tuple[str, str], tuple[int, str]] = {}  # (webhook, event) -> (attempt, status)
        self.webhook_responses: dict[str, list[WebhookResponse]] = {}
        self.group_webhook_responses: dict[str, dict[str, str]] = {}

    def put_webhook(self, webhook: Webhook, *, previous_name: str | None = None) -> None:
        with self._lock:
            if any(w.name == webhook.name and w.id != webhook.id for w in self.webhooks.values()):
                raise WebhookNameTakenError(webhook.name)
            self.webhooks[webhook.id] = webhook

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        return self.webhooks.get(webhook_id)

    def list_webhooks(self) -> list[Webhook]:
        return sorted(self.webhooks.values(), key=lambda w: (w.created_at, w.id))

    def delete_webhook(self, webhook_id: str) -> None:
        self.webhooks.pop(webhook_id, None)

    def claim_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, at: datetime) -> bool:
        with self._lock:
            current = self.webhook_claims.get((webhook_id, event_id))
            if attempt == 1:
                allowed = current is None
            else:
                allowed = current is not None and current[0] == attempt - 1 and current[1] in ("sending", "retrying")
            if allowed:
                self.webhook_claims[(webhook_id, event_id)] = (attempt, "sending")
            return allowed

    def settle_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, outcome: str) -> None:
        with self._lock:
            current = self.webhook_claims.get((webhook_id, event_id))
            if current is not None and current[0] == attempt:
                self.webhook_claims[(webhook_id, event_id)] = (attempt, outcome)

    def add_webhook_response(self, response: WebhookResponse) -> None:
        with self._lock:
            self.webhook_responses.setdefault(response.webhook_id, []).append(response)
            if response.group_id and response.content is not None:
                self.group_webhook_responses.setdefault(response.group_id, {})[response.webhook_id] = response.content

    def list_webhook_responses(self, webhook_id: str, limit: int = 100) -> list[WebhookResponse]:
        return sorted(self.webhook_responses.get(webhook_id, []), key=lambda r: r.id, reverse=True)[:limit]

    def get_webhook_response(self, webhook_id: str, response_id: str) -> WebhookResponse | None:
        return next((r for r in self.webhook_responses.get(webhook_id, []) if r.id == response_id), None)

    def latest_webhook_responses(self, group_id: str) -> dict[str, str]:
        return dict(self.group_webhook_responses.get(group_id, {}))
