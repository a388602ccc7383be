"""Command line: `explorer [URL]` (the app), `explorer get URL`, `explorer compare`, `explorer serve`,
`explorer replay FILE`, `explorer export --har FILE`."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _parser(prog: str, description: str, examples: str) -> argparse.ArgumentParser:
    """A parser whose help ends with examples, printed as written."""
    return argparse.ArgumentParser(prog=prog, description=description, epilog="examples:\n" + examples,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def _serve(argv: list[str]) -> int:
    from . import serve

    parser = _parser("explorer serve", "Run the demo server until Ctrl-C.", SERVE_EXAMPLES)
    serve.add_arguments(parser)
    return serve.run(parser.parse_args(argv))


def _get(argv: list[str]) -> int:
    from .options import add_get_arguments

    parser = _parser("explorer get", "Stream URL headless: text or JSONL on stdout.", GET_EXAMPLES)
    add_get_arguments(parser)
    args = parser.parse_args(argv)
    from . import get

    return get.run(args)


def _replay(argv: list[str]) -> int:
    from .tui import replay_cli

    parser = _parser("explorer replay", "Open a JSONL capture in the app and play it again (no network).",
                     REPLAY_EXAMPLES)
    replay_cli.add_arguments(parser)
    return replay_cli.run(parser.parse_args(argv))


def _export(argv: list[str]) -> int:
    from . import export

    parser = _parser("explorer export", "Write a JSONL capture in another format on stdout.", EXPORT_EXAMPLES)
    export.add_arguments(parser)
    return export.run(parser.parse_args(argv))


def _compare(argv: list[str]) -> int:
    from .tui import compare_cli

    parser = _parser("explorer compare", "Two streams side by side on one clock.", COMPARE_EXAMPLES)
    compare_cli.add_arguments(parser)
    return compare_cli.run(parser.parse_args(argv))


APP_EXAMPLES = """\
  explorer                                       the app: type a URL, pick a read mode
  explorer --demo                                with the demo server and its catalog
  explorer --web --port 8000                     the app in a web browser (loopback; --host to share)
  explorer https://example.com/feed -m lines -o run.jsonl
                                                 stream at once, recording every record
"""
GET_EXAMPLES = """\
  explorer get --demo '/ndjson?count=3' -m json  aligned text for people
  explorer get https://example.com/feed --format jsonl -o run.jsonl
                                                 one JSON object per record, also to a file
"""
COMPARE_EXAMPLES = """\
  explorer compare --pair chunked-vs-length      a ready-made demo pair
  explorer compare --demo /chunks /chunks --mode-a any --mode-b wire
                                                 one demo path read two ways
  explorer compare --curl "$(cat a.sh)" --curl-b "$(cat b.sh)" --env-file .env
                                                 two LLM providers, each from its curl command
"""
SERVE_EXAMPLES = """\
  explorer serve --port 8080                     the demo server on 127.0.0.1:8080
  explorer serve --replay run.jsonl --path /mine a capture as a demo endpoint, at its timing
"""
REPLAY_EXAMPLES = """\
  explorer replay run.jsonl                      a capture at its original timing
  explorer replay run.jsonl --speed 10           ten times as fast (--speed 0: all at once)
"""
EXPORT_EXAMPLES = """\
  explorer export --har run.jsonl > run.har      HAR 1.2, for browser devtools and HAR viewers
"""
COMMANDS_HELP = f"""\
commands (each has --help):
  explorer [URL]        the app (this command)
  explorer get URL      headless: text or JSONL on stdout
  explorer compare A B  two streams side by side on one clock
  explorer serve        the demo server alone
  explorer replay FILE  a JSONL capture in the app, played again
  explorer export --har FILE
                        a capture as HAR 1.2

examples:
{APP_EXAMPLES}{GET_EXAMPLES}{COMPARE_EXAMPLES}{SERVE_EXAMPLES}{REPLAY_EXAMPLES}{EXPORT_EXAMPLES}"""


COMMANDS = {"serve": _serve, "get": _get, "compare": _compare, "replay": _replay, "export": _export}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `explorer` console script."""
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:  # stdout's reader left (`explorer serve | head -1`): stop quietly, as Unix tools do
        from .get import EXIT_READER_LEFT, silence_stdout

        silence_stdout()
        return EXIT_READER_LEFT


def _main(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    if argv and argv[0] in ("--version", "-V"):
        try:
            print(f"explorer {__version__}", flush=True)
        except BrokenPipeError:
            raise
        except OSError as error:  # a full disk (`>/dev/full`): one sentence, no traceback
            print(f"explorer: cannot write to stdout: {error.strerror or error}.", file=sys.stderr)
            return 1
        return 0
    from .options import add_output_arguments, add_request_arguments
    from .tui import run

    parser = argparse.ArgumentParser(
        prog="explorer", description="Watch a stream arrive: every arrival, live. Also: get, compare, serve (below).",
        epilog=COMMANDS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_request_arguments(parser, url_required=False)
    add_output_arguments(parser)
    parser.add_argument("--web", action="store_true", help="serve the app to a web browser (textual-serve)")
    parser.add_argument("--port", type=int, default=8000, help="--web: the port to serve on (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="--web: the address to bind (default loopback)")
    args = parser.parse_args(argv)
    if args.web:
        from . import web

        return web.run(args, argv)
    return run.run(args)


if __name__ == "__main__":
    sys.exit(main())
