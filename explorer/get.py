"""`explorer get URL`: the engine headless, as aligned text or JSONL on stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import IO

from .core import Record, StreamRequest, open_stream
from .core.jsonl import JsonlRecorder, jsonl_lines
from .core.format import fmt_bytes, fmt_ms, gaps_line, phases_line, preview, summary_line
from .core.timing import STALL_FACTOR, STALL_SECONDS, TimingStats
from .core.sanitize import sanitize
from .options import UsageError, add_request_arguments, build_request, demo_url

EXIT_OK, EXIT_STREAM_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
KEY_HEADERS = ("Content-Type", "Content-Length", "Transfer-Encoding", "Content-Encoding", "Server")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    parser.add_argument("--format", choices=("text", "jsonl"), default="text", help="output format (default text)")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="also write JSONL records to FILE, flushed as they arrive")
    parser.add_argument("--stats", action="store_true", help="print gap statistics and rates after the stream")
    parser.add_argument("--stall", type=float, default=STALL_SECONDS, metavar="S",
                        help=f"mark gaps of at least S seconds (and {STALL_FACTOR:g}x the median) as stalls "
                             f"(default {STALL_SECONDS:g})")


class TextPrinter:
    """Aligned, sanitized, human-readable lines for a terminal."""

    def __init__(self, out: IO[str], stats: TimingStats | None = None) -> None:
        self.out = out
        self.stats = stats

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
        elif kind in ("end", "error"):
            self.out.write(f"{kind}: {summary_line(record)}\n")
            self.out.write(f"phases: {phases_line(record)}\n")
            if self.stats is not None:
                self.out.write(f"gaps: {gaps_line(record)}\n")
                self.out.write(f"rate: {rate_line(self.stats)}\n")
                for upper, count in self.stats.gaps.histogram(8):
                    self.out.write(f"  gaps up to {fmt_ms(upper):>10}: {count:>8,} {'█' * min(50, count)}\n")
        else:
            if record.get("stall"):
                self.out.write(f"{'stall':<8}{'':>6} {'':>11} {'+' + fmt_ms(record.gap):>11} {'':>10}"
                               f"  ⏸ the server paused: {fmt_ms(record.gap)} without data\n")
            text = preview(record)
            if record.get("partial"):
                text += "  (partial chunk: the stream broke inside it)"
            self._row(kind, record.seq, record.t, record.gap, record.size, text)
        self.out.flush()

    def _row(self, kind: str, seq: int, t: float, gap: float, size: int | None, text: str) -> None:
        size_text = "" if size is None else fmt_bytes(size)
        self.out.write(f"{kind:<8}{seq:>6} {fmt_ms(t):>11} {'+' + fmt_ms(gap):>11} {size_text:>10}  {text}\n")


def rate_line(stats: TimingStats) -> str:
    """Average and peak one-second rates, from the timeline buckets."""
    records, sizes, width = stats.timeline.resample(10_000)
    span = max(stats.timeline.last, width)
    window = max(1, round(1.0 / width))
    peak_records = max((sum(records[i:i + window]) for i in range(max(1, len(records) - window + 1))), default=0)
    peak_bytes = max((sum(sizes[i:i + window]) for i in range(max(1, len(sizes) - window + 1))), default=0)
    scale = 1.0 / (window * width)
    return (f"average {sum(records) / span:,.1f} records/s, {fmt_bytes(sum(sizes) / span)}/s; "
            f"peak 1 s window {peak_records * scale:,.1f} records/s, {fmt_bytes(peak_bytes * scale)}/s")


async def stream_to(request: StreamRequest, fmt: str, output: JsonlRecorder | None, show_stats: bool = False,
                    stall: float = STALL_SECONDS) -> Record | None:
    """Run one stream, printing each record; return the final record.

    Gap statistics and stall marks are computed here, beside the printing,
    so the engine's hot path stays free of them.
    """
    timing = TimingStats(stall)
    printer = TextPrinter(sys.stdout, timing if show_stats else None) if fmt == "text" else None
    last = None
    async for record in open_stream(request):
        if record.kind in ("end", "error"):
            record.extra = {**(record.extra or {}), **timing.summary()}
        else:
            timing.observe(record)
        last = record
        if printer:
            printer(record)
        else:
            sys.stdout.write("\n".join(jsonl_lines(record)) + "\n")
            sys.stdout.flush()
        if output:
            output.write(record)
    return last


async def _run(args: argparse.Namespace, output: JsonlRecorder | None) -> int:
    if args.demo:
        from .demo import DemoServer

        server = DemoServer()
        await server.start()
        try:
            request = build_request(args, demo_url(server.url, args.url, args.mode))
            final = await stream_to(request, args.format, output, args.stats, args.stall)
        finally:
            await server.stop()
    else:
        final = await stream_to(build_request(args), args.format, output, args.stats, args.stall)
    if final is not None and final.kind == "error":
        print(f"explorer: {sanitize(final.get('error'), 500)}", file=sys.stderr)
        return EXIT_STREAM_ERROR
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    output = None
    try:
        if not args.demo:
            build_request(args)  # usage errors before anything else
        if args.stall <= 0:
            raise UsageError("--stall must be more than 0 seconds.")
        if args.insecure:
            print("explorer get: warning: --insecure: TLS certificates are not verified.", file=sys.stderr)
        if args.output:
            open(args.output, "w").close()  # a new run starts a new file
            output = JsonlRecorder(args.output)
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
