"""Amazon SNS HTTPS subscriptions: CloudWatch alarms and any other message (signatures are verified in
`oncall.intake.sns`)."""

from __future__ import annotations

from oncall.intake.types.base import JSON_SUMMARY, appearance, behaviour, integration_type

# Our own type (OnCall Cloud's defaults are not public). See oncall/intake/sns.py for the payload: the alarm (or
# message) plus `title`, `message`, `state`, `console_url` and `sns` {topic_arn, message_id, subject, ...}.
_SNS_BEHAVIOUR = behaviour(
    # One group per CloudWatch alarm and topic; other messages group only when identical (like webhook).
    grouping=(
        '{%- set topic = (payload.get("sns") or {}).get("topic_arn", "") -%}'
        '{%- if payload.get("AlarmName") -%}{{ topic }} {{ payload.AlarmName }}'
        '{%- else -%}{%- set body = payload.copy() -%}{%- set _ = body.pop("sns", None) -%}{{ topic }} {{ body }}'
        "{%- endif -%}"
    ),
    resolve='{{ payload.get("NewStateValue", "") == "OK" }}',
    source_link='{{ payload.get("console_url") or "" }}',
)
_SNS_APPEARANCE = appearance(
    title=(
        '{{ payload.get("title") or payload.get("AlarmName") or (payload.get("sns") or {}).get("subject") '
        'or "Amazon SNS notification" }}'
    ),
    message=(
        '{%- if payload.get("message") is string %}{{ payload.message }}'
        "{%- else %}```\n{{ payload | tojson_pretty }}\n```{% endif %}"
    ),
    summary=JSON_SUMMARY,
    short='{{ web_title }}{% if payload.get("NewStateValue") %}: {{ payload.NewStateValue }}{% endif %}',
)
_SNS_DEMO = {
    "AlarmName": "checkout-api-5xx",
    "AlarmDescription": "More than 5% of checkout API requests fail.",
    "AWSAccountId": "123456789012",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 1 datapoint [7.5 (01/01/26 08:00:00)] was greater than the threshold (5.0).",
    "StateChangeTime": "2026-01-01T08:00:00.000+0000",
    "Region": "EU (Ireland)",
    "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-api-5xx",
    "OldStateValue": "OK",
    "Trigger": {
        "MetricName": "5XXError",
        "Namespace": "AWS/ApiGateway",
        "Statistic": "AVERAGE",
        "Period": 60,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 5.0,
    },
    "title": "checkout-api-5xx",
    "message": (
        "State: ALARM (was OK)\nRegion: eu-west-1\nDescription: More than 5% of checkout API requests fail.\n"
        "Reason: Threshold Crossed: 1 datapoint [7.5 (01/01/26 08:00:00)] was greater than the threshold (5.0).\n"
        "Metric: AWS/ApiGateway 5XXError (Average over 60 s) GreaterThanThreshold 5.0"
    ),
    "state": "ALARM",
    "console_url": (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/checkout-api-5xx"
    ),
    "sns": {
        "topic_arn": "arn:aws:sns:eu-west-1:123456789012:checkout-alarms",
        "message_id": "6f1c8f0e-0000-4d3a-9c5e-demo00000001",
        "subject": 'ALARM: "checkout-api-5xx" in EU (Ireland)',
        "timestamp": "2026-01-01T08:00:01.000Z",
        "region": "eu-west-1",
    },
}


AMAZON_SNS = integration_type(
    "amazon_sns",
    "Amazon SNS",
    "Amazon SNS HTTPS subscription (CloudWatch alarms and any other message); signatures are verified.",
    _SNS_BEHAVIOUR,
    _SNS_APPEARANCE,
    example_payload=_SNS_DEMO,
)
