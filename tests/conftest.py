# SPDX-License-Identifier: Apache-2.0
"""Shared by every suite: tests/lib on the import path, and the scratch plugin
(each test's folders and children removed or killed when it ends)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

pytest_plugins = ["scratch"]
