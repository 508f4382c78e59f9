"""The JSON API against its own OpenAPI schema (schemathesis): generated requests, valid and
invalid, to every operation of a real server on loopback, and never a 5xx answer.

The operations are walked in one test (schemathesis' pytest fixture loader does not work with
the pytest in use), each with its own Hypothesis run, positive and negative data.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from web_support import copy_db, sample_db, start_server, stop_server  # noqa: E402, F401

EXAMPLES = 25  # per operation and mode: enough to hit every parameter's edges, bounded in time


@pytest.fixture(scope="module")
def api_schema(sample_db, tmp_path_factory):  # noqa: F811
    srv = start_server(copy_db(sample_db, tmp_path_factory.mktemp("schema")))
    srv.wait_warm()
    try:
        yield schemathesis.openapi.from_url(srv.url + "/openapi.json")
    finally:
        stop_server(srv)


def test_the_schema_lists_the_contract_operations(api_schema):
    paths = {op.ok().path for op in api_schema.get_all_operations()}
    assert paths >= {"/api/search", "/api/posts/{post_id}", "/api/trends", "/api/events", "/api/balance",
                     "/api/actors/{actor_id}", "/api/report", "/api/corrections"}  # fmt: skip


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_generated_request_makes_the_server_fail(api_schema, mode):
    tried = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case):
            case.call_and_validate(checks=[not_a_server_error])

        try:
            run()
        except Unsatisfiable:  # an operation without parameters has no invalid request to make
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        tried.append(operation.label)
    assert len(tried) >= 8, tried
