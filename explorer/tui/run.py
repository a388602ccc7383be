"""`explorer [URL] [options]`: open the app, optionally streaming at once or with the demo server."""

from __future__ import annotations

import argparse
import sys

from ..options import UsageError, add_request_arguments, build_request


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, url_required=False)
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="append every record as JSONL to FILE as it arrives (line-buffered)")


def run(args: argparse.Namespace) -> int:
    from .app import ExplorerApp

    demo_path = None
    try:
        if args.demo and args.url:
            demo_path, args.url = args.url, None
        request = build_request(args, url_required=False)
    except UsageError as error:
        print(f"explorer: {error}", file=sys.stderr)
        return 2
    app = ExplorerApp(request, demo=args.demo, demo_path=demo_path, start=bool(args.url or demo_path),
                      record_to=args.output)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
