# SPDX-License-Identifier: Apache-2.0
"""Shared by the real-server suites (tests/e2e/dendrite, tests/e2e/synapse): one throwaway PostgreSQL cluster."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mxtest import PGCluster  # noqa: E402


@pytest.fixture(scope="session")
def pg():
    cluster = PGCluster()
    yield cluster
    cluster.stop()



def pytest_collection_modifyitems(config, items):
    """A real-server test may start a server (Synapse: up to a minute on a busy
    machine) and drive it for a while: 15 minutes unless it says otherwise.
    Still a limit: a hang fails that test, not the suite."""
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(900))
