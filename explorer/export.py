"""`explorer export --har FILE.jsonl`: a capture in another format on stdout (HAR 1.2 for now).

A capture that cannot be read, or that holds no response to export, is one
sentence on stderr and exit status 2; stdout that cannot be written is one
sentence and 1 (a reader that left is handled by `cli.main`).
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_OUTPUT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--har", action="store_true", required=True,
                        help="write HAR 1.2 (the only format for now): one entry per stream, arrivals in _chunks, "
                             "WebSocket messages in _webSocketMessages")
    parser.add_argument("file", metavar="FILE", help="a JSONL capture written by get -o, the app's -o or its save")


def run(args: argparse.Namespace) -> int:
    import orjson

    from .core.capture import CaptureError, read_capture
    from .core.har import har, unexportable

    try:
        capture = read_capture(args.file)
    except CaptureError as error:
        print(f"explorer export: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        document = har(capture)
    except (TypeError, ValueError, OverflowError, ArithmeticError) as error:  # a hand-made capture's odd values
        print(f"explorer export: The capture {args.file!r} holds a value HAR cannot carry ({type(error).__name__}).",
              file=sys.stderr)
        return EXIT_UNUSABLE
    if not document["log"]["entries"]:
        print(f"explorer export: The capture {args.file!r} holds no response (every stream in it failed to "
              f"connect): there is nothing to export.", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # orjson.JSONEncodeError: a number past 64 bits from a hand-made capture
        print(f"explorer export: The capture {args.file!r} holds a number HAR cannot carry.", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
        else:  # a text stdout with no bytes under it (a test's replacement)
            sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        print(f"explorer export: cannot write to stdout: {error.strerror or error}.", file=sys.stderr)
        return EXIT_OUTPUT_FAILED
    left_out = unexportable(capture)
    if left_out:
        print(f"explorer export: {left_out} stream{'s' if left_out > 1 else ''} without a response "
              f"{'were' if left_out > 1 else 'was'} left out.", file=sys.stderr)
    return EXIT_OK
