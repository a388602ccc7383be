"""The replay screen: the main screen fed from a capture instead of the network, and its player's keys.

Everything a live run shows comes through the same path (`LiveFeed`, the
session's batches and lifecycle messages); what differs is the source: the
flush timer first asks the `ReplayPlayer` for the records its position has
passed and hands them to the `ReplaySession`. Going back (a click on the
timeline, step back, restart) shows the run anew from its start up to the
new position, in one batch.

Nothing here touches the network: the request bar is hidden (a
`ReplayBar` takes its place), and the keys that would start a stream, the
demo server or a comparison are off.
"""

from __future__ import annotations

from typing import Any, Iterable

from textual import on
from textual.app import SystemCommand
from textual.binding import Binding
from textual.widgets import Input

from ..core.format import plural
from ..options import Options
from .app import ExplorerApp
from .main_screen import MainScreen
from .replay import Replay, ReplayPlayer, ReplaySession, next_speed, speed_label
from .session import StreamEnded, StreamResponded
from .widgets.message_bar import MessageBar
from .widgets.replay_bar import ReplayBar, ReplayStatus
from .widgets.request_bar import RequestBar
from .widgets.timeline import Timeline

_LIVE_ONLY = frozenset(("toggle_panel", "toggle_server", "compare", "edit_request", "limits", "copy_curl"))


class ReplayScreen(MainScreen):
    """A capture played again: the main screen's views, with pause, step, speed and jumps."""

    BINDINGS = [
        Binding("ctrl+r", "start", "Restart", priority=True),
        Binding("ctrl+g", "pause", "Pause", priority=True, show=False),
        Binding("space", "toggle_pause", "Pause"),
        Binding("full_stop", "step", "Step"),
        Binding("comma", "step_back", "Step back", show=False),
        Binding("greater_than_sign", "speed(1)", "Speed"),
        Binding("less_than_sign", "speed(-1)", "Slower", show=False),
    ]

    def __init__(self, replay: Replay) -> None:
        super().__init__(Options(replay.request), start=True)
        self.replay = replay
        self.player = ReplayPlayer(replay.records, replay.speed)
        self.replay_session = self.session = ReplaySession(self.player)
        self.replay_session.post = self.post_message
        self.timeline.axis = self.player.total
        self.replay_bar = ReplayBar(id="replay-bar")

    async def on_mount(self) -> None:
        # Runs before MainScreen.on_mount (Textual calls both): the bar goes where the request bar was.
        bar = self.query_one(RequestBar)
        await self.query_one("#main").mount(self.replay_bar, before=bar)
        bar.display = False
        bar.disabled = True
        if self.replay.runs > 1:
            self.notify(f"The capture holds {plural(self.replay.runs, 'run')}: this is run {self.replay.run} "
                        "(explorer replay FILE --run N shows another).", timeout=6, markup=False)
        if self.replay.capped:
            self.notify("The capture holds more records than are read back: its end is left out.",
                        severity="warning", timeout=6, markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that would reach the network or change the request are off in a replay."""
        return action not in _LIVE_ONLY

    # -- the player --------------------------------------------------------------

    def flush(self) -> None:
        """Hand the session what the replay's position has passed, then show it as a live run's flush does."""
        self.replay_session.hand(self.player.tick())
        super().flush()
        self.show_status()

    def show_status(self) -> None:
        player = self.player
        state = "ended" if player.ended else "paused" if player.paused else "playing"
        self.replay_bar.show(ReplayStatus(self.replay.name, self.replay.run, self.replay.runs, player.position,
                                          player.total, speed_label(player.speed), state))

    def show_anew(self, records: list[Any]) -> None:
        """Show the run from its start up to the player's position: `records`, in one batch."""
        self.action_clear()
        self.session.start(self.replay.request)
        self.headers_view.show(None)
        self.request_view.show(None)
        self._silence_noted = None
        self.replay_session.hand(records)
        self.flush()
        self.show_timeline()

    def action_start(self) -> None:
        """Play the capture from its start."""
        self.show_anew(self.player.seek(0.0))
        self.player.play()
        self.show_status()

    def action_pause(self) -> None:
        self.replay_session.hand(self.player.pause())  # what the position passed since the last flush
        self.flush()

    def action_toggle_pause(self) -> None:
        """Pause or resume; at the end, play again from the start."""
        if self.player.ended:
            self.action_start()
        elif self.player.paused:
            self.player.play()
            self.show_status()
        else:
            self.action_pause()

    def action_stop(self) -> None:
        self.action_pause()

    def action_step(self) -> None:
        """Pause, and show the next record."""
        if self.player.ended:
            self.notify("The end of the capture: ctrl+r plays it again.", timeout=3)
            return
        self.replay_session.hand(self.player.step())
        self.flush()

    def action_step_back(self) -> None:
        """Pause, and show one record fewer."""
        self.action_pause()
        if self.player.index:
            self.show_anew(self.player.seek_index(self.player.index - 1))

    def action_speed(self, step: int) -> None:
        """The next speed: 1x, 2x, 10x, instant (`step` -1: the one before)."""
        self.player.set_speed(next_speed(self.player.speed, step))
        self.show_status()

    @on(Timeline.TimeClicked)
    def jump(self, message: Timeline.TimeClicked) -> None:
        """Jump to the clicked time: the records up to it are shown, and the replay goes on from there."""
        self.show_anew(self.player.seek(message.t))

    def show_timeline(self) -> None:
        self.timeline.position = self.player.position
        super().show_timeline()

    # -- the session's messages --------------------------------------------------

    def on_stream_responded(self, message: StreamResponded) -> None:
        message.prevent_default()  # MainScreen's handler runs from here, then the message bar goes again
        if message.response is not self.session.response:
            return  # of the run as shown before a jump
        MainScreen.on_stream_responded(self, message)
        self.query_one(MessageBar).display = False  # a recorded WebSocket has nobody to talk to
        if isinstance(self.focused, Input):
            self.log_widget.focus()

    def on_stream_ended(self, message: StreamEnded) -> None:
        if message.final is not self.session.final:
            message.prevent_default()  # of the run as shown before a jump

    def system_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Restart replay", "Play the capture from its start (ctrl+r)", self.action_start)
        yield SystemCommand("Pause / resume", "Pause or resume the replay (space)", self.action_toggle_pause)
        yield SystemCommand("Step", "Show the next record (.; , for one back)", self.action_step)
        yield SystemCommand("Speed", "1x, 2x, 10x, instant (> and <)", lambda: self.action_speed(1))
        yield SystemCommand("Clear log", "Clear arrivals and events", self.action_clear)
        yield SystemCommand("Save records", "Write the kept records as JSONL", self.action_save)
        yield SystemCommand("Toggle clock", "Arrival times since the request, or as the time of day",
                            self.action_toggle_clock)
        yield SystemCommand("Find", "Find text in the kept rows (/, then n and N)", self.action_find)
        yield SystemCommand("Filter", "Show only some kinds of rows, or rows with some words (f)", self.action_filter)


class ReplayApp(ExplorerApp):
    """The app on a capture (`explorer replay FILE`)."""

    def __init__(self, replay: Replay) -> None:
        super().__init__(Options(replay.request), start=True)
        self.replay = replay
        self.sub_title = f"replay of {replay.name}"

    def get_default_screen(self) -> MainScreen:
        return ReplayScreen(self.replay)
