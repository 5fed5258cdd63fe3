"""Configuration, read from the environment once per container (the template sets it; so does the local
stack). Nothing else in the code reads `os.environ`
(`oncall.platform.containers.environ()` is os.environ on Lambda; the local harness gives each function its own).

A plain pydantic model filled from the environment (names matched case-insensitively, values parsed by
pydantic as pydantic-settings would): pydantic-settings itself cost every cold start ~12 ms of imports
(python-dotenv, argparse, its sources) for a flat list of environment variables."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from oncall.platform.containers import environ, per_container


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    table_name: str = Field(default="oncall", validation_alias="TABLE_NAME")
    ingest_queue_url: str = Field(default="", validation_alias="INGEST_QUEUE_URL")
    escalation_state_machine_arn: str = Field(default="", validation_alias="ESCALATION_STATE_MACHINE_ARN")
    # Names of the SSM SecureString parameters holding the first admin API token and the HMAC key of signed
    # action links (acknowledge/resolve/silence from a notification); empty = none in this deployment.
    admin_token_parameter: str = Field(default="", validation_alias="ADMIN_TOKEN_PARAMETER")
    action_link_parameter: str = Field(default="", validation_alias="ACTION_LINK_PARAMETER")
    # How long a signed action link stays valid (seconds; default 7 days).
    action_link_ttl_seconds: int = Field(default=7 * 24 * 3600, validation_alias="ACTION_LINK_TTL_SECONDS")
    # Overrides the base URL derived from the request (custom domains behind a proxy, say).
    public_base_url: str = Field(default="", validation_alias="PUBLIC_BASE_URL")
    # Where integration URLs live when not on the API's base: the ingest function's URL (template parameter
    # IntegrationUrls, decision 80). Empty = under the API's base URL.
    ingest_base_url: str = Field(default="", validation_alias="INGEST_BASE_URL")
    # Local mode only: every delivery is also appended here as one JSON line.
    outbox_path: str = Field(default="", validation_alias="ONCALL_OUTBOX_PATH")
    # Largest request body the ingest endpoint accepts (bytes, after base64 decoding).
    max_body_bytes: int = Field(default=256 * 1024, validation_alias="ONCALL_MAX_BODY_BYTES")
    # How long hot paths trust their cached copy of the configuration (OnCall caches 5 s).
    config_cache_seconds: float = Field(default=5.0, validation_alias="ONCALL_CONFIG_CACHE_SECONDS")
    # iCal schedule feeds: how long a container reuses a fetched feed, how long a fetch may take, how big a
    # feed may be, and whether plain http / private addresses are allowed (never in production).
    ical_cache_seconds: float = Field(default=300.0, validation_alias="ONCALL_ICAL_CACHE_SECONDS")
    ical_timeout_seconds: float = Field(default=5.0, validation_alias="ONCALL_ICAL_TIMEOUT_SECONDS")
    ical_max_bytes: int = Field(default=2 * 1024 * 1024, validation_alias="ONCALL_ICAL_MAX_BYTES")
    ical_allow_http: bool = Field(default=False, validation_alias="ONCALL_ICAL_ALLOW_HTTP")
    ical_allow_private: bool = Field(default=False, validation_alias="ONCALL_ICAL_ALLOW_PRIVATE")
    # Alert-group events (webhooks) go to this SQS queue; empty = events are dropped (NullSink).
    events_queue_url: str = Field(default="", validation_alias="EVENTS_QUEUE_URL")
    # The From address of ses:// notifications (a verified SES identity; template parameter NotificationSender).
    notification_sender: str = Field(default="", validation_alias="NOTIFICATION_SENDER")
    # Let webhooks and URL channels reach loopback/private addresses (local stack: on; deployed: off).
    # Cloud metadata endpoints stay refused either way.
    allow_private_targets: bool = Field(default=False, validation_alias="ONCALL_ALLOW_PRIVATE_TARGETS")
    # First webhook retry after this many seconds, doubling each attempt (SQS DelaySeconds, at most 900).
    webhook_retry_base_seconds: float = Field(default=10.0, validation_alias="ONCALL_WEBHOOK_RETRY_BASE_SECONDS")
    # Management API requests per API token per minute (OnCall: 300); 0 turns the limit off. A fixed
    # one-minute window counted in DynamoDB; signed action links (/actions/…) are never counted.
    api_rate_limit_per_minute: int = Field(default=300, ge=0, validation_alias="ONCALL_API_RATE_LIMIT_PER_MINUTE")
    # Jinja2 template limits (OnCall's names and defaults): template text, rendered output, rendered titles.
    jinja_template_max_length: int = Field(default=50_000, validation_alias="JINJA_TEMPLATE_MAX_LENGTH")
    jinja_result_max_length: int = Field(default=50_000, validation_alias="JINJA_RESULT_MAX_LENGTH")
    jinja_result_title_max_length: int = Field(default=500, validation_alias="JINJA_RESULT_TITLE_MAX_LENGTH")
    # The budget of one render (templating.py): units of work (loop iterations, output, values built) and CPU.
    jinja_render_max_work: int = Field(default=5_000_000, validation_alias="JINJA_RENDER_MAX_WORK")
    jinja_render_cpu_seconds: float = Field(default=4.0, validation_alias="JINJA_RENDER_CPU_SECONDS")


def _from_environment() -> dict[str, str]:
    wanted = {field.validation_alias.upper(): field.validation_alias for field in Settings.model_fields.values()}
    return {wanted[name.upper()]: value for name, value in environ().items() if name.upper() in wanted}


@per_container
def get_settings() -> Settings:
    return Settings.model_validate(_from_environment())
