# SPDX-License-Identifier: Apache-2.0
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mxtest import PGCluster, make_home as new_home  # noqa: E402

# every homeserver kind mxdba has a profile for, on both backends
KINDS = ["dendrite", "synapse"]
HOMES = [(k, b) for k in KINDS for b in ("sqlite", "postgres")]


def pytest_configure(config):
    config.addinivalue_line("markers", "kinds(*names): the homeserver kinds a test of `home` runs on (default: all)")


def pytest_collection_modifyitems(config, items):
    """A test marked kinds("dendrite") runs only on Dendrite homes."""
    keep, drop = [], []
    for item in items:
        mark = item.get_closest_marker("kinds")
        params = getattr(getattr(item, "callspec", None), "params", {})
        kind = params["home"][0] if "home" in params else None
        (drop if mark and kind and kind not in mark.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def pg():
    cluster = PGCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=HOMES, ids=[f"{k}-{b}" for k, b in HOMES])
def home(request):
    kind, backend = request.param
    return new_home(kind, backend, pg=request.getfixturevalue("pg") if backend == "postgres" else None)


@pytest.fixture
def make_home(request):
    """make_home(backend, schema=None, extra_sql=None, kind="dendrite") for special layouts."""
    def make(backend, schema=None, extra_sql=None, kind="dendrite"):
        pgc = request.getfixturevalue("pg") if backend == "postgres" else None
        return new_home(kind, backend, pg=pgc, schema=schema, extra_sql=extra_sql)
    return make
