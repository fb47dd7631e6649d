# SPDX-License-Identifier: Apache-2.0
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
from dendrite import Dendrite  # noqa: E402


@pytest.fixture(params=["sqlite", "postgres"])
def dendrite(request):
    pgc = request.getfixturevalue("pg") if request.param == "postgres" else None
    d = Dendrite(request.param, pg=pgc)
    try:
        yield d
        d.assert_doctor_clean()
    finally:
        d.close()
