"""The garbage collector setting that `commons serve` and `commons submit` apply after start-up."""

from __future__ import annotations

import subprocess
import sys

from engine.gc_tuning import FIRST_GENERATION_THRESHOLD

PROBE = """
import gc
from engine.gc_tuning import tune_garbage_collector
survivor = [{"kept": i} for i in range(1000)]
tune_garbage_collector()
print(gc.get_threshold()[0], gc.get_freeze_count(), len(gc.get_objects(generation=2)))
"""


def test_start_up_heap_is_frozen_and_collections_are_rarer() -> None:
    # A fresh interpreter: freezing this test process would change the rest of the suite.
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    threshold, frozen, oldest = map(int, out.split())
    assert threshold == FIRST_GENERATION_THRESHOLD
    assert frozen > 1000  # the start-up objects, survivor included, sit outside every collection
    assert oldest == 0
