"""oncall.platform.containers: one container per process on Lambda; one per function when a harness hosts several."""

import os

from oncall.platform import containers


def test_on_lambda_a_process_is_one_container():
    made = []

    @containers.per_container
    def thing() -> object:
        made.append(1)
        return object()

    assert thing() is thing() and len(made) == 1
    assert containers.environ() is os.environ
    thing.cache_clear()
    thing()
    assert len(made) == 2


def test_a_harness_gives_each_function_its_own_caches_and_environment():
    current = {"name": "ingest"}
    environments = {
        "ingest": {"TABLE_NAME": "t"},
        "api": {"TABLE_NAME": "t", "ADMIN_TOKEN_PARAMETER": "/stack/admin-token"},
    }

    @containers.per_container
    def thing() -> object:
        return object()

    containers.host(lambda: current["name"], lambda: environments[current["name"]])
    try:
        ingest = thing()
        assert "ADMIN_TOKEN_PARAMETER" not in containers.environ()
        current["name"] = "api"
        api = thing()
        assert containers.environ()["ADMIN_TOKEN_PARAMETER"] == "/stack/admin-token"
        assert api is not ingest and thing() is api
        current["name"] = "ingest"
        assert thing() is ingest
    finally:
        containers.unhost()
    assert containers.environ() is os.environ
