"""Alerts from e-mail (subject, message, sender). Not creatable yet: there is no mail ingress."""

from __future__ import annotations

from oncall.intake.types.base import appearance, behaviour, integration_type

_INBOUND_EMAIL_APPEARANCE = appearance(
    title='{{ payload.get("subject") or "E-mail without a subject" }}',
    message='{{ payload.get("message") or "" }}',
    summary=(
        '{%- if payload.get("sender") %}From {{ payload.sender }}\n{% endif -%}'
        '{{ (payload.get("message") or "") | string | truncate(600, true, "…", 0) }}'
    ),
    image='{{ payload.get("image_url") or "" }}',
)


INBOUND_EMAIL = integration_type(
    "inbound_email",
    "Inbound Email",
    "Alerts from e-mail (subject, message, sender).",
    behaviour(
        grouping='{{ payload.get("subject", "").upper() }}',
        resolve='{{ payload.get("message", "").upper() == "OK" }}',
        source_link=None,
    ),
    _INBOUND_EMAIL_APPEARANCE,
    example_payload={
        "subject": "Demo e-mail alert",
        "message": "A demonstration alert sent by e-mail.",
        "sender": "monitoring@example.com",
    },
    has_ingest_url=False,
    # OnCall shows it only with its inbound-email feature; we have no inbound e-mail path yet.
    creatable=False,
)
