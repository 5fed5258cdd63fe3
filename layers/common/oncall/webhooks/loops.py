"""Outgoing calls that come back: every outgoing webhook request carries `X-OnCall-Hop: <this deployment's
marker>`, and ingest refuses (400) an alert that carries this deployment's own marker. Whatever name or address
led a webhook back to us (127.1, localhost, [::ffff:127.0.0.1], a custom domain, a proxy, a redirect), the
alert it makes is refused, so "alert group created" → webhook → ingest → new group cannot loop.

The SSRF guard also refuses our own origins by name and by resolved address (netguard); this header is the
defence that does not depend on recognising the address. The marker is a digest of the deployment's table name
(unique per stack, known to every function): it names the deployment without revealing anything."""

from __future__ import annotations

import hashlib

from oncall.platform.errors import ValidationError

HOP_HEADER = "X-OnCall-Hop"


class LoopDetectedError(ValidationError):
    """An alert sent by one of this deployment's own outgoing webhooks."""


def deployment_marker(table_name: str) -> str:
    return hashlib.sha256(f"serverless-oncall-hop:{table_name}".encode()).hexdigest()[:16]


def refuse_own_hop(header_value: str, table_name: str) -> None:
    """Raise LoopDetectedError if the request came from one of our own webhooks."""
    own = deployment_marker(table_name)
    if own in (part.strip() for part in header_value.split(",")):
        raise LoopDetectedError(
            "This request was sent by one of this deployment's own outgoing webhooks: refused, so that webhooks "
            "cannot create alerts in a loop. Point the webhook somewhere else."
        )
