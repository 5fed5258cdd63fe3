"""Configuration, read from the environment once per container (the template sets it; so does the local
stack). Nothing else in the code reads `os.environ`."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    table_name: str = Field(default="oncall", validation_alias="TABLE_NAME")
    ingest_queue_url: str = Field(default="", validation_alias="INGEST_QUEUE_URL")
    escalation_state_machine_arn: str = Field(default="", validation_alias="ESCALATION_STATE_MACHINE_ARN")
    admin_token_secret_arn: str = Field(default="", validation_alias="ADMIN_TOKEN_SECRET_ARN")
    # The HMAC key of signed action links (acknowledge/resolve/silence from a notification).
    action_link_secret_arn: str = Field(default="", validation_alias="ACTION_LINK_SECRET_ARN")
    # How long a signed action link stays valid (seconds; default 7 days).
    action_link_ttl_seconds: int = Field(default=7 * 24 * 3600, validation_alias="ACTION_LINK_TTL_SECONDS")
    # Overrides the base URL derived from the request (custom domains behind a proxy, say).
    public_base_url: str = Field(default="", validation_alias="PUBLIC_BASE_URL")
    # Local mode only: every delivery is also appended here as one JSON line.
    outbox_path: str = Field(default="", validation_alias="ONCALL_OUTBOX_PATH")
    # Largest request body the ingest endpoint accepts (bytes, after base64 decoding).
    max_body_bytes: int = Field(default=256 * 1024, validation_alias="ONCALL_MAX_BODY_BYTES")
    # How long hot paths trust their cached copy of the configuration (OnCall caches 5 s).
    config_cache_seconds: float = Field(default=5.0, validation_alias="ONCALL_CONFIG_CACHE_SECONDS")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
