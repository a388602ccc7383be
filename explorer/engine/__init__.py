"""The engine beside the UI: streams read where the UI's work cannot delay a stamp.

The app reads each stream in an engine process of its own (`EngineProcess`),
which hands the UI batches: the newest records and the run's figures over
all of them (`Batch`). `EngineThread` runs the same pump on a thread, for
record sources that live in this process (tests replay recorded streams).

The names below load on first use (PEP 562): `EngineThread` brings the
engine itself (its network libraries), which the app's process never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.lazy import lazy_exports

if TYPE_CHECKING:
    from .messages import Batch, CaptureFailed, RunOrder
    from .process import EngineProcess
    from .stats import StreamStats
    from .thread import EngineThread

__all__ = ["Batch", "CaptureFailed", "EngineProcess", "EngineThread", "RunOrder", "StreamStats"]

_HOMES = {"Batch": "messages", "CaptureFailed": "messages", "RunOrder": "messages", "EngineProcess": "process",
          "StreamStats": "stats", "EngineThread": "thread"}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
