"""The app's collector settings: strips that need no cut are no longer reference cycles."""

from __future__ import annotations

import gc
import sys

from rich.segment import Segment
from textual.strip import Strip

from explorer.tui import collector


def test_a_strip_that_needs_no_cut_is_freed_without_the_collector() -> None:
    collector.install()
    strip = Strip([Segment("hello "), Segment("world")])
    references = sys.getrefcount(strip)
    assert strip.divide([11]) == [strip] and strip.crop_extend(0, 11, None) is strip
    assert sys.getrefcount(strip) == references  # its caches do not hold it: no cycle for the collector
    assert [piece.text for piece in strip.divide([5, 11])] == ["hello", " world"]  # real cuts still work
    assert strip.crop_extend(0, 14, None).text == "hello world   "


def test_full_collections_wait_for_many_young_ones() -> None:
    before = gc.get_threshold()
    try:
        collector.install()
        assert gc.get_threshold()[2] == collector.FULL_EVERY
    finally:
        gc.set_threshold(*before)
