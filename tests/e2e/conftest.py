"""Fixtures: one session-wide kinesd (transition delay 0), a factory for extra servers
(restart, delay > 0, exact account-wide counts), a boto3 client and unique names."""

import uuid

import pytest

from e2e_util import KinesdServer, make_client


@pytest.fixture(scope="session")
def kinesd_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("kinesd-session")
    # The suite creates streams faster than AWS's 5 CreateStream calls per second;
    # control-plane limits are tested on servers of their own (test_limits.py).
    server = KinesdServer(
        base / "data", base / "logs", transition_delay_ms=0, extra_args=["--control-limits", "off"]
    ).start()
    yield server
    server.stop()


@pytest.fixture
def start_kinesd(tmp_path):
    """start_kinesd(transition_delay_ms=0, data_dir=None, extra_args=()) -> a started
    KinesdServer of its own; every one is stopped when the test ends."""
    started = []

    def start(transition_delay_ms=0, data_dir=None, extra_args=()):
        n = len(started)
        server = KinesdServer(
            data_dir or tmp_path / f"data-{n}",
            tmp_path / f"logs-{n}",
            transition_delay_ms=transition_delay_ms,
            extra_args=extra_args,
        ).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def endpoint(kinesd_server):
    return kinesd_server.endpoint


@pytest.fixture(scope="session")
def kinesis(endpoint):
    return make_client(endpoint)


@pytest.fixture
def stream_name():
    return "e2e-" + uuid.uuid4().hex[:16]


@pytest.fixture
def make_name():
    """Unique names sharing one prefix, for tests that need several streams."""
    prefix = "e2e-" + uuid.uuid4().hex[:10]
    return lambda suffix: f"{prefix}-{suffix}"
