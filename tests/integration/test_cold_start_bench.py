"""The cold-start bench's first requests (bench/first_requests.py, decision 78): recorded on the template's
stack on moto with the real handlers, then replayed in fresh processes with the recorded answers. If the
handlers' AWS calls drift from the recording (or the recording breaks), the bench fails loudly; these tests
keep it working between `make bench` runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import cold_start

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> dict:
    return cold_start.record(REPO, tmp_path_factory.mktemp("cold") / "recorded.json")


def _operations(recordings: dict, function: str) -> list[str]:
    return [call["operation"] for call in recordings[function]["calls"]]


def test_every_first_request_is_recorded_with_its_aws_calls(recordings):
    assert set(recordings) == {"ingest", "route", "escalate", "heartbeat_check", "api"}
    assert _operations(recordings, "ingest")[-2:] == ["PutItem", "SendMessage"]
    assert "StartExecution" in _operations(recordings, "route")  # the alert opened a group
    assert "TransactWriteItems" in _operations(recordings, "escalate")  # the step was claimed and run
    assert _operations(recordings, "heartbeat_check") == ["Query", "Query"]  # the two sparse indexes
    assert "Query" in _operations(recordings, "api")
    for recorded in recordings.values():
        assert recorded["environment"]["TABLE_NAME"]  # the function's own environment, from the template


@pytest.mark.parametrize("function", ["ingest", "api"])
def test_a_replayed_first_request_makes_every_recorded_call(recordings, tmp_path, function):
    result = cold_start.measure(function, 1, REPO, recordings, tmp_path)

    assert result.first_request and result.calls == len(recordings[function]["calls"])
    assert result.total_ms > result.import_ms > 0
    assert result.floor_ms < result.conventions_floor_ms
    # Ingest's cold start is the sender's wait; the api imports its resources on demand (decision 79).
    assert "jinja2" not in result.heavy_modules
