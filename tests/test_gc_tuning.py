"""The garbage collector settings: tuned after start-up, paused while a submission runs."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import pytest

from engine.gc_tuning import FIRST_GENERATION_THRESHOLD, collection_paused

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


def test_collection_stays_paused_until_the_last_block_ends() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with collection_paused():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=other)
    thread.start()
    first_in.wait(5)
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's block still runs
    second_done.set()
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_a_paused_block_that_fails_still_resumes_collection() -> None:
    with pytest.raises(ValueError), collection_paused():
        raise ValueError("boom")
    assert gc.isenabled()
