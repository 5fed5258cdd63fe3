"""Settings come from the environment once per container (names case-insensitive, values parsed)."""

import pytest

from oncall.platform.settings import get_settings


@pytest.fixture(autouse=True)
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_values_are_parsed_and_names_are_case_insensitive(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "oncall-prod")
    monkeypatch.setenv("oncall_allow_private_targets", "TRUE")
    monkeypatch.setenv("ONCALL_CONFIG_CACHE_SECONDS", "2.5")
    monkeypatch.setenv("ONCALL_MAX_BODY_BYTES", "1024")
    settings = get_settings()
    assert settings.table_name == "oncall-prod"
    assert settings.allow_private_targets is True
    assert (settings.config_cache_seconds, settings.max_body_bytes) == (2.5, 1024)


def test_defaults_apply_and_bad_values_are_refused(monkeypatch):
    monkeypatch.delenv("ONCALL_ICAL_ALLOW_HTTP", raising=False)
    assert get_settings().ical_allow_http is False
    get_settings.cache_clear()
    monkeypatch.setenv("ONCALL_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValueError, match="ONCALL_MAX_BODY_BYTES"):
        get_settings()
