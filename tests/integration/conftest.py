# SPDX-License-Identifier: Apache-2.0
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mxtest import Home, PGCluster  # noqa: E402


@pytest.fixture(scope="session")
def pg():
    cluster = PGCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def home(request):
    if request.param == "postgres":
        return Home("postgres", pg=request.getfixturevalue("pg"))
    return Home("sqlite")


@pytest.fixture
def make_home(request):
    """make_home(backend, schema=None, extra_sql=None) for special layouts."""
    def make(backend, schema=None, extra_sql=None):
        pgc = request.getfixturevalue("pg") if backend == "postgres" else None
        return Home(backend, pg=pgc, schema=schema, extra_sql=extra_sql)
    return make
