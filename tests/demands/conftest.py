"""Photos go to a temporary folder per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings
from tests.demands.helpers import Demands
from tests.support import Api, World


@pytest.fixture(autouse=True)
def photo_dir(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "photos"
    monkeypatch.setattr(settings, "photo_dir", folder)
    return folder


@pytest.fixture
def demands(api: Api, world: World) -> Demands:
    return Demands(api, world)
