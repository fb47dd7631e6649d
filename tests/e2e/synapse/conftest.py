# SPDX-License-Identifier: Apache-2.0
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
from synapse import Synapse  # noqa: E402


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def synapse(request):
    """One real Synapse per backend for a whole test file (each test uses users of its own)."""
    pgc = request.getfixturevalue("pg") if request.param == "postgres" else None
    s = Synapse(request.param, pg=pgc)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def s(synapse):
    """The suite's Synapse, stopped and with the default config at the start of each test."""
    if synapse.running():
        synapse.stop()
    synapse.set_extra("{}\n")
    yield synapse
    if synapse.running():
        synapse.stop()
    synapse.assert_doctor_clean()
