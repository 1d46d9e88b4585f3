"""Unit tests are hermetic: PARLEY_* variables of the calling shell do not leak into them."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_parley_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PARLEY_"):
            monkeypatch.delenv(name)
