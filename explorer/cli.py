"""Command line: `explorer [URL]` (the app), `explorer get URL`, `explorer serve`."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _serve(argv: list[str]) -> int:
    from . import serve

    parser = argparse.ArgumentParser(prog="explorer serve", description="Run the demo server until Ctrl-C.")
    serve.add_arguments(parser)
    return serve.run(parser.parse_args(argv))


def _get(argv: list[str]) -> int:
    from . import get

    parser = argparse.ArgumentParser(prog="explorer get", description="Stream URL headless: text or JSONL on stdout.")
    get.add_arguments(parser)
    return get.run(parser.parse_args(argv))


def _compare(argv: list[str]) -> int:
    from .tui import compare_cli

    parser = argparse.ArgumentParser(prog="explorer compare",
                                     description="Two streams side by side on one clock.")
    compare_cli.add_arguments(parser)
    return compare_cli.run(parser.parse_args(argv))


COMMANDS = {"serve": _serve, "get": _get, "compare": _compare}


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
    from .tui import run

    parser = argparse.ArgumentParser(
        prog="explorer",
        description="Watch a stream arrive. Also: 'explorer get URL' (headless), 'explorer serve' (demo server).",
    )
    run.add_arguments(parser)
    return run.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
