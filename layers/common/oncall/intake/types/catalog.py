"""Every integration type, by slug, in the order people see them (featured first)."""

from __future__ import annotations

from oncall.intake.types import (
    alertmanager,
    amazon_sns,
    grafana,
    inbound_email,
    kapacitor,
    maintenance,
    paging,
    webhook,
)
from oncall.intake.types.base import ANY_TYPE_URL_SLUGS, IntegrationType
from oncall.models import Integration

_TYPES: tuple[IntegrationType, ...] = (
    alertmanager.GRAFANA_ALERTING,
    webhook.WEBHOOK,
    alertmanager.ALERTMANAGER,
    webhook.FORMATTED_WEBHOOK,
    kapacitor.KAPACITOR,
    webhook.ELASTALERT,
    inbound_email.INBOUND_EMAIL,
    webhook.ZABBIX,
    paging.DIRECT_PAGING,
    grafana.GRAFANA,
    alertmanager.LEGACY_ALERTMANAGER,
    alertmanager.LEGACY_GRAFANA_ALERTING,
    maintenance.MAINTENANCE,
    paging.MANUAL,
    amazon_sns.AMAZON_SNS,
)

INTEGRATION_TYPES: dict[str, IntegrationType] = {t.slug: t for t in _TYPES}


def get_type(slug: str) -> IntegrationType | None:
    return INTEGRATION_TYPES.get(slug)


def url_slug_accepts(url_slug: str, integration_type: str) -> bool:
    """Whether an ingest URL written for `url_slug` may carry alerts of an integration of this type
    (legacy types keep the URL of their modern twin)."""
    kind = INTEGRATION_TYPES.get(integration_type)
    if kind is None or not kind.has_ingest_url:
        return False
    return kind.url_slug == url_slug or url_slug in ANY_TYPE_URL_SLUGS


def ingest_url(base_url: str, integration: Integration) -> str | None:
    """Where the integration's senders post alerts (None for types without an ingest URL)."""
    kind = get_type(integration.type)
    if kind is None or not kind.has_ingest_url:
        return None
    return f"{base_url}/integrations/v1/{kind.url_slug}/{integration.token}/"
