"""Start-up: whole processes from start to exit (or to the app's first frame), beside their floors.

    python3 bench/startup.py [--runs 10] [--profile]

Targets (issue 15): `explorer --help`, `explorer get --help` and `explorer
--version` in 80 ms or less with no network library imported; `explorer get
URL` on a tiny response in 150 ms or less; the app's first frame in 350 ms or
less. Each round runs every command once, in turn, so the floors measured
beside them (the interpreter alone, aiohttp's import, Textual's) share their
noise: what a command takes over its floor is ours, the floor is not.

The app's first frame: the app runs in a pseudo-terminal of ROWSxCOLS, and
the frame counts as painted when the start of its last row
(`ESC[<ROWS>;1H`, written after every row above it) comes out of the
terminal; then the app gets SIGTERM. Commands run the real console script
with the interpreter it names (a shim in front of it would add its own time).
With `--profile`, `-X importtime` of `--help`, of `get URL` and of the app's
modules: the modules with the most time of their own.

Compiled bytecode is kept as an installed package keeps it: with
PYTHONDONTWRITEBYTECODE set (as in some sandboxes) every run would compile
explorer's modules from source again, so the commands run with
PYTHONPYCACHEPREFIX in a temporary directory instead, after one round
that is not counted (`--as-is` keeps the environment as it is).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import demo_server_process

ROWS, COLS = 40, 120
FRAME_TIMEOUT = 30.0  # seconds to wait for a first frame before giving up on the run
PYTHON = sys.executable
# The floor of a first frame: a Textual app of one line, in the same terminal.
HELLO_APP = ("from textual.app import App\nfrom textual.widgets import Static\n"
             "class Hello(App):\n    def compose(self):\n        yield Static('hello')\nHello().run()")


def explorer_script() -> str:
    """The `explorer` console script next to this interpreter (not a shim on PATH)."""
    script = Path(PYTHON).with_name("explorer")
    if script.is_file():
        return str(script)
    found = shutil.which("explorer")
    if found is None:
        raise SystemExit("no explorer console script: pip install -e . first")
    return found


def whole_process(argv: list[str]) -> float:
    """Seconds from start to exit, output to /dev/null (it must exit 0)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{argv} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-500:]}")
    return seconds


def first_frame(argv: list[str]) -> float:
    """Seconds from start until the app has written its first whole frame to a ROWSxCOLS terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    last_row = f"\x1b[{ROWS};1H".encode()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen, painted = b"", None
    try:
        while painted is None and time.perf_counter() - start < FRAME_TIMEOUT:
            if not select.select([master], [], [], 0.5)[0]:
                continue
            data = _read(master)
            if not data:
                break
            seen = seen[-16:] + data  # the marker may straddle two reads
            if last_row in seen:
                painted = time.perf_counter() - start
        proc.send_signal(signal.SIGTERM)  # the app's clean exit (it restores the terminal, ends its engine)
        deadline = time.perf_counter() + 10
        while proc.poll() is None and time.perf_counter() < deadline:  # keep reading: a blocked write never exits
            if select.select([master], [], [], 0.05)[0] and not _read(master):
                break
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    finally:
        os.close(master)
    if painted is None:
        raise RuntimeError(f"{argv}: no first frame within {FRAME_TIMEOUT:g} s")
    return painted


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the terminal's other end closed
        return b""


class Row:
    """One line of the table: how to run it, its floor, and its times."""

    def __init__(self, name: str, measure: Callable[[], float], floor: str | None = None) -> None:
        self.name, self.measure, self.floor = name, measure, floor
        self.times: list[float] = []

    def figures(self) -> tuple[float, float, float]:
        ms = [t * 1000 for t in self.times]
        return min(ms), statistics.median(ms), max(ms)


def rows(explorer: str, url: str) -> list[Row]:
    def run(*argv: str) -> Callable[[], float]:
        return lambda: whole_process(list(argv))

    def frame(*argv: str) -> Callable[[], float]:
        return lambda: first_frame(list(argv))

    return [
        Row("python3 -S -c pass", run(PYTHON, "-S", "-c", "pass")),
        Row("python3 -c pass (floor)", run(PYTHON, "-c", "pass")),
        Row("explorer --version", run(explorer, "--version"), "python3 -c pass (floor)"),
        Row("explorer --help", run(explorer, "--help"), "python3 -c pass (floor)"),
        Row("explorer get --help", run(explorer, "get", "--help"), "python3 -c pass (floor)"),
        Row('python3 -c "import aiohttp" (floor)', run(PYTHON, "-c", "import aiohttp")),
        Row("explorer get URL (13 B)", run(explorer, "get", url), 'python3 -c "import aiohttp" (floor)'),
        Row('python3 -c "import textual.app"', run(PYTHON, "-c", "import textual.app")),
        Row("Textual app of one line: first frame (floor)", frame(PYTHON, "-c", HELLO_APP)),
        Row("explorer: first frame", frame(explorer), "Textual app of one line: first frame (floor)"),
        Row("explorer --demo: first frame", frame(explorer, "--demo"), "Textual app of one line: first frame (floor)"),
    ]


def profile(explorer: str, url: str, top: int = 12) -> None:
    """`-X importtime` of `--help`, `get URL` and the app's modules: the most self time (one run each)."""
    for label, argv in (("explorer --help", [explorer, "--help"]), ("explorer get URL", [explorer, "get", url]),
                        ("import explorer.tui.app", ["-c", "import explorer.tui.app"])):
        err = subprocess.run([PYTHON, "-X", "importtime", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True).stderr
        found = [(int(m[1]), int(m[2]), m[3].strip()) for m in
                 re.finditer(r"^import time:\s+(\d+) \|\s+(\d+) \| (.+)$", err, re.M)]
        ours = sum(own for own, _, name in found if name.startswith("explorer"))
        print(f"\n-X importtime {label}: {sum(own for own, _, _ in found) / 1000:.1f} ms of imports, "
              f"{ours / 1000:.1f} ms in explorer's own modules; most self time:")
        for own, total, name in sorted(found, reverse=True)[:top]:
            print(f"  {own / 1000:7.1f} ms self  {total / 1000:7.1f} ms with imports  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="rounds (each runs every command once)")
    parser.add_argument("--profile", action="store_true", help="also print -X importtime summaries")
    parser.add_argument("--as-is", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if it is set")
    args = parser.parse_args()
    explorer = explorer_script()
    cached = not args.as_is and bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    if cached:
        os.environ.pop("PYTHONDONTWRITEBYTECODE")
        os.environ["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="explorer-startup-pycache-")
    with demo_server_process(pin_client=False) as base:
        url = f"{base}/hello?interval=0"
        table = rows(explorer, url)
        for row in table:  # not counted: fills the bytecode cache and the page cache
            row.measure()
        for _ in range(args.runs):
            for row in table:
                row.times.append(row.measure())
        if args.profile:
            profile(explorer, url)
    medians = {row.name: row.figures()[1] for row in table}
    print(f"\nstart-up, {args.runs} rounds, ms (Python {sys.version.split()[0]}, {os.cpu_count()} cores"
          f"{', bytecode cached in ' + os.environ['PYTHONPYCACHEPREFIX'] if cached else ''})")
    print(f"{'':46} {'min':>7} {'median':>7} {'max':>7}   median over its floor")
    for row in table:
        low, mid, high = row.figures()
        over = f"   {mid - medians[row.floor]:+.0f}" if row.floor else ""
        print(f"{row.name:46} {low:7.1f} {mid:7.1f} {high:7.1f}{over}")


if __name__ == "__main__":
    main()
