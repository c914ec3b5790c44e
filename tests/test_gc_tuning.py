"""``gridpoints serve`` freezes what start-up built and raises the first GC threshold
(api/gc_tuning.py); the effect on pauses is measured by bench/subs, not here."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from api import gc_tuning


@pytest.fixture
def restored() -> Iterator[None]:
    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@pytest.mark.usefixtures("restored")
def test_tune_freezes_the_start_up_objects_and_sets_the_thresholds() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    gc_tuning.tune()
    assert gc.get_freeze_count() > 10_000  # the modules, the schema, the mappers
    assert gc.get_threshold() == gc_tuning.THRESHOLDS
