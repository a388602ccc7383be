"""`explorer [URL] [options]`: open the app, optionally streaming at once or with the demo server."""

from __future__ import annotations

import argparse
import sys

from ..options import UsageError, parse_options


def run(args: argparse.Namespace) -> int:
    """Open the app with the arguments `cli` parsed; its exit status (2 for a usage error)."""
    try:
        options = parse_options(args, url_required=False)
    except UsageError as error:
        print(f"explorer: {error}", file=sys.stderr)
        return 2
    from .app import ExplorerApp

    app = ExplorerApp(options, start=bool(options.request.url or options.demo_path))
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
