"""`explorer compare URL_A URL_B` and `explorer compare --pair NAME`."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from ..core.modes import MODES
from ..core.secrets import SecretError
from ..demo.catalog import PAIRS, find_pair
from ..options import Options, UsageError, add_request_arguments, parse_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, url_required=False)
    parser.add_argument("url_b", nargs="?", metavar="URL_B", help="the second stream")
    parser.add_argument("--curl-b", metavar="'curl ...'", default=None,
                        help="the second stream from its own curl command (--curl gives the first): two providers, "
                             "each with its own URL, headers and body")
    parser.add_argument("--mode-a", choices=MODES, default=None, help="read mode of the first (default --mode)")
    parser.add_argument("--mode-b", choices=MODES, default=None, help="read mode of the second (default --mode)")
    parser.add_argument("--pair", choices=[pair.name for pair in PAIRS], default=None,
                        help="a ready-made demo pair (starts the demo server)")


def run(args: argparse.Namespace) -> int:
    from .app import ExplorerApp

    try:
        if args.pair:
            app = ExplorerApp(compare=find_pair(args.pair))
        else:
            app = ExplorerApp(compare=sides(args))
    except (UsageError, SecretError) as error:
        print(f"explorer compare: {error}", file=sys.stderr)
        return 2
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)


def sides(args: argparse.Namespace) -> tuple[Options, Options]:
    """The two requests: URL and URL_B with the shared options, or each side from its own curl command
    (`--curl`, `--curl-b`), with `${NAME}` values resolved."""
    if not ((args.url or args.curl) and (args.url_b or args.curl_b)):
        raise UsageError("Give two URLs (or two demo paths with --demo, or --curl and --curl-b), or --pair NAME.")
    a = parse_options(args, mode=args.mode_a or args.mode)
    second = args if args.curl_b is None else argparse.Namespace(**{**vars(args), "curl": args.curl_b})
    b = parse_options(second, mode=args.mode_b or args.mode, url=args.url_b or "")
    return dataclasses.replace(a, request=a.resolved()), dataclasses.replace(b, request=b.resolved())
