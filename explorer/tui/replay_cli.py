"""`explorer replay FILE [--run N] [--speed X]`: a JSONL capture in the app, played again without the network."""

from __future__ import annotations

import argparse
import sys

from ..core.capture import CaptureError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a JSONL capture: from explorer get -o, the app's -o or ctrl+s")
    parser.add_argument("--run", type=int, default=None, metavar="N",
                        help="which run of a capture that holds several (1 is the first; default the last)")
    parser.add_argument("--speed", type=float, default=1.0, metavar="X",
                        help="1 plays at the original timing (default), 2 or 10 faster, 0 shows it all at once; "
                             "in the app > and < change it")


def run(args: argparse.Namespace) -> int:
    """Read the capture (a sentence on stderr and status 2 if it cannot be), then open the app on it."""
    from .replay import load_replay

    try:
        replay = load_replay(args.file, args.run, args.speed)
    except CaptureError as error:
        print(f"explorer replay: {error}", file=sys.stderr)
        return 2
    from .replay_screen import ReplayApp

    app = ReplayApp(replay)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
