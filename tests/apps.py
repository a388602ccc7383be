"""Running the real app in tests: building it from a request, and waiting on its workers, not the clock."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget

from explorer.core import Record, StreamRequest
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.main_screen import MainScreen
from explorer.tui.widgets.chunk_log import ChunkLog

SIZE = (120, 40)
LIMIT = 60.0  # seconds: only a hang gets here, however busy the machine


def app_for(request: StreamRequest, *, start: bool = True, output: str | None = None) -> ExplorerApp:
    """The app as `explorer URL [-o FILE]` builds it."""
    return ExplorerApp(Options(request, output=output), start=start)


async def until_ended(pilot: Pilot[Any], screen: MainScreen | None = None) -> None:
    """Wait for the running stream's worker to finish and its messages to be handled."""
    app = pilot.app
    main = screen or app.main  # type: ignore[attr-defined]
    for _ in range(1000):  # the start request is a message on its way
        if main.session.state != "idle":
            break
        await pilot.pause()
    await asyncio.wait_for(app.workers.wait_for_complete(), LIMIT)
    await pilot.pause()
    await pilot.pause()


async def until(pilot: Pilot[Any], condition: Any, limit: float = LIMIT) -> None:
    """For streams that never end by themselves: let the app run until `condition()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met (the app hung)")
        await pilot.pause(0.02)


def records(log: ChunkLog) -> list[Record]:
    """The stream's records in a log (without the app's notes)."""
    return [row for row in log.rows if isinstance(row, Record)]


def screen_lines(widget: Widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]
