"""SIGTERM and SIGHUP leave the terminal as the app found it: the app runs in a real pseudo-terminal, and what it
wrote there must end by leaving the alternate screen with mouse reporting off, also when its shutdown hangs."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ALTERNATE_SCREEN_ON, ALTERNATE_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
MOUSE_OFF = (b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l")
HANG_GUARD = 120.0  # seconds: only a broken app gets near this, however loaded the machine

# Apps whose end hangs: a shutdown that blocks, and a loop that blocks after the first frame.
HUNG_SHUTDOWN = """
import sys, time
from explorer.tui.app import ExplorerApp
class Hung(ExplorerApp):
    async def on_unmount(self) -> None:
        time.sleep(600)
sys.exit(Hung().run())
"""
BLOCKED_LOOP = """
import sys, time
from explorer.tui.app import ExplorerApp
class Blocked(ExplorerApp):
    def on_ready(self) -> None:
        time.sleep(600)
sys.exit(Blocked().run())
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux: pseudo-terminals, /proc")


class PtyApp:
    """A command on a fresh pseudo-terminal (80x24, xterm-256color); `output` is everything it wrote."""

    def __init__(self, *args: str) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
        self.proc = subprocess.Popen([sys.executable, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = b""
        self.deadline = time.monotonic() + HANG_GUARD

    def read_until(self, marker: bytes, start: int = 0) -> int:
        """Read until `marker` appears after `start`; its position."""
        while (found := self.output.find(marker, start)) < 0:
            assert self._read(), f"ended before {marker!r}: {self.output[-500:]!r}"
        return found

    def read_to_end(self) -> int:
        """Read until the terminal closes; the exit status."""
        while self._read():
            pass
        return self.proc.wait(timeout=max(1.0, self.deadline - time.monotonic()))

    def _read(self) -> bool:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.proc.kill()
            pytest.fail(f"no end within {HANG_GUARD:g} s: {self.output[-500:]!r}")
        ready, _, _ = select.select([self.master], [], [], min(left, 1.0))
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            return False
        self.output += data
        return bool(data)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def assert_restored(output: bytes, since: int) -> None:
    after = output[since:]
    assert ALTERNATE_SCREEN_OFF in after, after[-300:]
    for sequence in MOUSE_OFF:
        assert sequence in after, sequence


def started(app: PtyApp) -> int:
    """Wait until the app is in the alternate screen and catches SIGTERM (it installs its handlers once
    mounted); where the alternate screen began."""
    on = app.read_until(ALTERNATE_SCREEN_ON)
    while not catches(app.proc.pid, signal.SIGTERM):
        assert app._read(), f"ended before catching SIGTERM: {app.output[-500:]!r}"
    return on


def catches(pid: int, signum: int) -> bool:
    """Whether process `pid` has a handler for `signum` (Linux: the SigCgt mask in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_ends_the_app_and_restores_the_terminal(signum: int) -> None:
    app = PtyApp("-m", "explorer", "--demo")
    try:
        on = started(app)
        app.proc.send_signal(signum)
        assert app.read_to_end() == 128 + signum
        assert_restored(app.output, on)
        assert b"Traceback" not in app.output
    finally:
        app.close()


@pytest.mark.parametrize("script", [HUNG_SHUTDOWN, BLOCKED_LOOP], ids=["hung shutdown", "blocked loop"])
def test_a_hang_after_the_signal_still_restores_the_terminal(script: str) -> None:
    app = PtyApp("-c", script)
    try:
        on = started(app)
        app.proc.send_signal(signal.SIGTERM)
        assert app.read_to_end() == 128 + signal.SIGTERM  # after the grace period, not after the 600 s hang
        assert_restored(app.output, on)
    finally:
        app.close()


def test_a_second_signal_does_not_wait_for_a_hung_shutdown() -> None:
    app = PtyApp("-c", HUNG_SHUTDOWN)
    try:
        on = started(app)
        app.proc.send_signal(signal.SIGTERM)
        app.proc.send_signal(signal.SIGHUP)
        # The second signal ends it at once (129); were it lost, the grace period would (143). Either way:
        assert app.read_to_end() in (128 + signal.SIGHUP, 128 + signal.SIGTERM)
        assert_restored(app.output, on)
    finally:
        app.close()
