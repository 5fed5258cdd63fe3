"""The local stack's settings: the deployed network posture can be asked for, and another template given."""

from pathlib import Path

from oncall_local.stack import LocalSettings


def test_private_targets_are_allowed_by_default_and_an_explicit_false_wins(monkeypatch):
    monkeypatch.delenv("ONCALL_ALLOW_PRIVATE_TARGETS", raising=False)
    assert LocalSettings.from_environment().allow_private_targets is True
    for refused in ("false", "FALSE", " false "):
        monkeypatch.setenv("ONCALL_ALLOW_PRIVATE_TARGETS", refused)
        assert LocalSettings.from_environment().allow_private_targets is False
    monkeypatch.setenv("ONCALL_ALLOW_PRIVATE_TARGETS", "true")
    assert LocalSettings.from_environment().allow_private_targets is True


def test_another_template_can_be_given(monkeypatch):
    monkeypatch.delenv("ONCALL_TEMPLATE", raising=False)
    assert LocalSettings.from_environment().template_path is None
    monkeypatch.setenv("ONCALL_TEMPLATE", "/tmp/copy/template.yaml")
    assert LocalSettings.from_environment().template_path == Path("/tmp/copy/template.yaml")
