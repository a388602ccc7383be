"""SIGTERM and SIGHUP end the app like ctrl+q, so the terminal comes back as it was (as vim and htop do).

Python's default for either signal is to die on the spot, which leaves the
terminal in the alternate screen with mouse reporting on. Here the first
signal asks the app to exit, and Textual's own shutdown restores the
terminal. If the process has not ended `GRACE` seconds later (a blocked loop,
a hung shutdown, a terminal that no longer reads), or a second signal comes,
the terminal is restored directly, with the sequences Textual's driver writes
when it stops and the terminal modes from before the app, and the process
exits at once. The exit status is 128 + the signal number, as a shell reports.

The handlers are plain signal handlers, not the loop's, and the deadline is
kept by a thread started beforehand: neither needs the loop to be running.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from contextlib import suppress
from typing import Any, NoReturn

from textual.app import App

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
GRACE = 5.0  # seconds the app's own shutdown may take once signalled
# What Textual's Linux driver writes when it stops: mouse reporting (all four modes and pixels), bracketed
# paste and in-band resize off, line wrap on, kitty keyboard mode popped, the main screen back, the cursor
# shown, focus reports off.
RESTORE = ("\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2004l\x1b[?2048l\x1b[?7h"
           "\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l")


class Termination:
    """Ends `app` cleanly on SIGTERM and SIGHUP.

    Make it before the app's driver starts (it notes the terminal modes then),
    `install` it once the app runs on its loop, and call `on_ready` after the
    first frame: a signal before that ends the app then.
    """

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.modes = terminal_modes()
        self.signum: int | None = None  # the first signal received
        self.ready = False  # the first frame is up
        self._signalled = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> bool:
        """Handle the signals; False where that is impossible (not the main thread)."""
        self._loop = asyncio.get_running_loop()
        try:
            for signum in SIGNALS:
                signal.signal(signum, self.on_signal)
        except ValueError:
            return False
        threading.Thread(target=self._deadline, name="explorer-termination", daemon=True).start()
        return True

    def on_signal(self, signum: int, frame: object = None) -> None:
        """First signal: have the loop exit the app. Second, or once the loop is gone: restore and exit now."""
        if self.signum is not None or self._loop is None:
            self.force(signum)
        self.signum = signum
        self._signalled.set()  # only the deadline thread waits on it: no lock the interrupted code may hold
        try:
            self._loop.call_soon_threadsafe(self._exit)
        except RuntimeError:  # the loop is closed: the app is over
            self.force(signum)

    def on_ready(self) -> None:
        """The app has drawn its first frame: a signal that came before ends it now."""
        self.ready = True
        self._exit()

    def _exit(self) -> None:
        if self.ready and self.signum is not None:  # exiting mid-mount leaves Textual reporting errors
            self.app.exit(128 + self.signum)

    def _deadline(self) -> None:
        self._signalled.wait()
        time.sleep(GRACE)  # a process that ends in time ends this daemon thread with it
        self.force(self.signum or SIGNALS[0])

    def force(self, signum: int) -> NoReturn:
        """Restore the terminal and exit without waiting for anything (callable from any thread)."""
        restore_terminal(self.modes)
        os._exit(128 + signum)


def terminal_modes() -> list[Any] | None:
    """The terminal modes of stdin (termios), or None when it is not a terminal."""
    try:
        import termios

        return termios.tcgetattr(_fileno(sys.__stdin__))
    except Exception:  # no termios (Windows), no stdin, not a terminal (termios.error)
        return None


def restore_terminal(modes: list[Any] | None) -> None:
    """Write the sequences that undo Textual's terminal setup (to stderr, where it draws) and reset the modes."""
    with suppress(Exception):  # a terminal that is gone (SIGHUP) refuses the write
        os.write(_fileno(sys.__stderr__), RESTORE.encode())
    if modes is not None:
        with suppress(Exception):
            import termios

            termios.tcsetattr(_fileno(sys.__stdin__), termios.TCSANOW, modes)


def _fileno(stream: Any) -> int:
    if stream is None:
        raise ValueError("no such stream")
    return int(stream.fileno())
