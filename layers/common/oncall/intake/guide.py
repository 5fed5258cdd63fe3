"""The "how to connect" text a GET on an integration URL returns: what to paste where, with an example."""

from __future__ import annotations

import json

from oncall.intake.types.base import IntegrationType

_ALERTMANAGER_SNIPPET = """\
Alertmanager (alertmanager.yml):

  receivers:
    - name: oncall
      webhook_configs:
        - url: {url}
          send_resolved: true
"""

_GRAFANA_SNIPPET = """\
Grafana Alerting: add a contact point of type "Webhook" with URL
  {url}
and use it in your notification policies.
"""


_SNS_SNIPPET = """\
Amazon SNS: subscribe this URL to your topic with the HTTPS protocol (the subscription confirms itself):

  aws sns subscribe --topic-arn <topic ARN> --protocol https --notification-endpoint {url}

then send CloudWatch alarm actions (ALARM and OK) to the topic. Keep RawMessageDelivery off: every message's
signature is verified, and unsigned requests are refused (403).
"""


def how_to_connect(kind: IntegrationType, url: str, name: str) -> str:
    lines = [f"{name} ({kind.title} integration)", "", kind.description, ""]
    if kind.slug in ("alertmanager", "legacy_alertmanager"):
        lines.append(_ALERTMANAGER_SNIPPET.format(url=url))
    elif kind.slug in ("grafana_alerting", "legacy_grafana_alerting"):
        lines.append(_GRAFANA_SNIPPET.format(url=url))
    elif kind.slug == "amazon_sns":
        lines.append(_SNS_SNIPPET.format(url=url))
        return "\n".join(lines)
    example = json.dumps(kind.example_payload or {"message": "Something happened"})
    lines += [
        "Send an alert (JSON, form or plain text bodies are accepted):",
        "",
        f"  curl -X POST -H 'Content-Type: application/json' --data '{example}' {url}",
        "",
    ]
    if kind.heartbeat_available:
        lines += ["Heartbeat (ping it from a cron job; GET, HEAD or POST):", "", f"  curl {url}heartbeat/", ""]
    return "\n".join(lines)
