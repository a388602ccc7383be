"""The replay's status line: REPLAY, the capture's name, the position on its clock, the speed, and the keys.

It takes the request bar's place in a replay (nothing is requested). Like
the status line, it leaves out its least important parts, whole, when the
terminal is narrow.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.widgets import Static

from ...core.format import fmt_ms
from .status_bar import Figure, fit

BADGE = "bold black on magenta"
HINTS = ("space pause", ". step", "> speed", "click the timeline to jump")


class ReplayStatus(NamedTuple):
    """What the line shows: which capture and run, where the replay is, how fast it goes."""

    name: str  # sanitized
    run: int
    runs: int
    position: float
    total: float
    speed: str  # `1x`, `instant`
    state: str  # playing, paused, ended


_STATES = {"playing": ("▶", "bold cyan"), "paused": ("⏸", "bold yellow"), "ended": ("■", "bold green")}


def replay_figures(status: ReplayStatus) -> list[Figure]:
    """The line's parts, most important first."""
    mark, style = _STATES.get(status.state, ("", ""))
    shown = [Figure(Text(" REPLAY ", style=BADGE), badge=True), Figure(Text(status.name, style="bold"))]
    if status.runs > 1:
        shown.append(Figure(Text(f"run {status.run} of {status.runs}")))
    shown += [
        Figure(Text.assemble((f"{mark} {status.state} ", style),
                             (f"{fmt_ms(status.position)} / {fmt_ms(status.total)}", "bold"))),
        Figure(Text(status.speed, style="bold")),
    ]
    shown += [Figure(Text(hint, style="dim")) for hint in HINTS]
    return shown


class ReplayBar(Static):
    """One line: the replay's capture, position and speed."""

    DEFAULT_CSS = """
    ReplayBar { height: 1; padding: 0 1; }
    """

    _status: ReplayStatus | None = None

    def on_resize(self) -> None:
        if self._status is not None:
            self.call_after_refresh(self._draw)

    def show(self, status: ReplayStatus) -> None:
        """Draw `status` (nothing to do when it did not change)."""
        if status != self._status:
            self._status = status
            self._draw()

    def _draw(self) -> None:
        width = self.content_size.width
        if self._status is not None and width:
            self.update(fit(replay_figures(self._status), width), layout=False)
