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

