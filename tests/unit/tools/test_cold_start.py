"""bench/cold_start.py's pieces that decide what is measured (decision 78): the replay of recorded AWS
answers, and the ratios and targets."""

from __future__ import annotations

import base64
import json
import pickle

import pytest

from bench import cold_start


def _call(operation: str, body: dict, status: int = 200) -> dict:
    return {
        "service": "dynamodb",
        "service_id": "dynamodb",
        "operation": operation,
        "params": base64.b64encode(pickle.dumps({"TableName": "t"})).decode(),
        "status": status,
        "headers": {"content-type": "application/x-amz-json-1.0"},
        "body": base64.b64encode(json.dumps(body).encode()).decode(),
    }


@pytest.fixture
def replay(tmp_path):
    recording = tmp_path / "recorded.json"
    recording.write_text(json.dumps({"calls": [_call("GetItem", {"Item": {}}), _call("PutItem", {}, 400)]}))
    namespace: dict = {}
    exec(cold_start._REPLAY.format(recording=str(recording)), namespace)  # noqa: S102 - the child's own code
    return namespace


class _Request:
    url = "https://dynamodb.us-east-1.amazonaws.com/"


def test_recorded_answers_are_given_by_operation_and_each_once(replay):
    put = replay["_answer"](_Request(), "before-send.dynamodb.PutItem")
    get = replay["_answer"](_Request(), "before-send.dynamodb.GetItem")

    assert (put.status_code, get.status_code) == (400, 200)
    assert json.loads(get.content) == {"Item": {}}
    assert replay["_left"] == []
    assert replay["CALLS"][0]["params"] == {"TableName": "t"}  # what the floor repeats


def test_a_call_the_recording_does_not_answer_fails_the_run(replay):
    replay["_answer"](_Request(), "before-send.dynamodb.GetItem")

    with pytest.raises(AssertionError, match="unrecorded AWS call dynamodb GetItem"):
        replay["_answer"](_Request(), "before-send.dynamodb.GetItem")


def test_the_target_is_on_the_conventions_floor_with_the_first_request_counted():
    result = cold_start.ColdStart(
        function="ingest",
        import_ms=200,
        total_ms=300,
        floor_ms=200,
        conventions_floor_ms=270,
        heavy_modules=[],
        total_cpu_ms=250,
        conventions_floor_cpu_ms=200,
        calls=4,
        first_request=True,
    )

    assert result.first_request_ms == 100
    assert result.ratio == pytest.approx(1.5)
    assert result.conventions_ratio == pytest.approx(300 / 270)
    assert result.cpu_ratio == pytest.approx(1.25)
    assert result.target == 1.15 and result.met  # 1.11 ≤ 1.15
    assert not cold_start.ColdStart("api", 100, 400, 200, 300, []).met  # 1.33 > 1.3
