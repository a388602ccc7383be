"""`explorer get URL`: the engine headless, as aligned text or JSONL on stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import IO

from .core import Record, StreamRequest, open_stream, to_json_objects
from .core.format import fmt_bytes, fmt_ms, preview, summary_line
from .core.sanitize import sanitize
from .options import UsageError, add_request_arguments, build_request, demo_url

EXIT_OK, EXIT_STREAM_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
KEY_HEADERS = ("Content-Type", "Content-Length", "Transfer-Encoding", "Content-Encoding", "Server")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    parser.add_argument("--format", choices=("text", "jsonl"), default="text", help="output format (default text)")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="also write JSONL records to FILE, flushed as they arrive")


def jsonl_lines(record: Record) -> list[str]:
    return [json.dumps(obj, ensure_ascii=False) for obj in to_json_objects(record)]


class TextPrinter:
    """Aligned, sanitized, human-readable lines for a terminal."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def __call__(self, record: Record) -> None:
        kind = record.kind
        if kind == "response":
            headers = record.get("headers", {})
            keys = "  ".join(f"{k}: {sanitize(headers[k], 80)}" for k in KEY_HEADERS if k in headers)
            self.out.write(f"{preview(record)}  mode={record.get('mode')}  {keys}\n")
            self.out.write(f"{'kind':<8}{'#':>6} {'time':>11} {'+gap':>11} {'size':>10}  preview\n")
        elif kind == "event":
            for n, (prefix, event, value) in enumerate(record.events):
                line = f"{prefix or '.'} {event} {'' if value is None else json.dumps(value, default=str)}"
                self._row("event", record.seq + n, record.t, record.gap if n == 0 else 0.0, None, sanitize(line))
        elif kind == "end":
            self.out.write(f"end: {summary_line(record)}\n")
        elif kind == "error":
            self.out.write(f"error: {summary_line(record)}\n")
        else:
            text = preview(record)
            if record.get("partial"):
                text += "  (partial chunk: the stream broke inside it)"
            self._row(kind, record.seq, record.t, record.gap, record.size, text)
        self.out.flush()

    def _row(self, kind: str, seq: int, t: float, gap: float, size: int | None, text: str) -> None:
        size_text = "" if size is None else fmt_bytes(size)
        self.out.write(f"{kind:<8}{seq:>6} {fmt_ms(t):>11} {'+' + fmt_ms(gap):>11} {size_text:>10}  {text}\n")


async def stream_to(request: StreamRequest, fmt: str, output: IO[str] | None) -> Record | None:
    """Run one stream, printing each record; return the final record."""
    printer = TextPrinter(sys.stdout) if fmt == "text" else None
    last = None
    async for record in open_stream(request):
        last = record
        lines = jsonl_lines(record) if (fmt == "jsonl" or output) else []
        if printer:
            printer(record)
        else:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        if output:
            output.write("\n".join(lines) + "\n")
            output.flush()
    return last


async def _run(args: argparse.Namespace, output: IO[str] | None) -> int:
    if args.demo:
        from .demo import DemoServer

        server = DemoServer()
        await server.start()
        try:
            request = build_request(args, demo_url(server.url, args.url, args.mode))
            final = await stream_to(request, args.format, output)
        finally:
            await server.stop()
    else:
        final = await stream_to(build_request(args), args.format, output)
    if final is not None and final.kind == "error":
        print(f"explorer: {sanitize(final.get('error'), 500)}", file=sys.stderr)
        return EXIT_STREAM_ERROR
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    output = None
    try:
        if not args.demo:
            build_request(args)  # usage errors before anything else
        if args.output:
            output = open(args.output, "w", encoding="utf-8", buffering=1)
        return asyncio.run(_run(args, output))
    except UsageError as error:
        print(f"explorer get: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"explorer get: cannot write {args.output!r}: {error.strerror}.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nexplorer get: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if output is not None:
            output.close()
