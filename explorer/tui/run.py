"""`explorer [URL] [options]`: open the app, optionally streaming at once or with the demo server."""

from __future__ import annotations

import argparse
import sys

from ..options import UsageError, add_request_arguments, parse_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, url_required=False)
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="append every record as JSONL to FILE as it arrives (line-buffered)")


def run(args: argparse.Namespace) -> int:
    try:
        options = parse_options(args, url_required=False)
    except UsageError as error:
        print(f"explorer: {error}", file=sys.stderr)
        return 2
    from .app import ExplorerApp

    app = ExplorerApp(options, start=bool(options.request.url or options.demo_path))
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
