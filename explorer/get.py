"""`explorer get URL`: the engine headless, as aligned text or JSONL on stdout."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import io
import os
import signal
import sys
from contextlib import aclosing, contextmanager, suppress
from typing import IO, Iterator

from .core import Kind, Record, open_stream
from .core.format import fmt_bytes, fmt_ms, fmt_ms_down, fmt_ms_up, gaps_line, phases_line, plural
from .core.heads import verbose_text
from .core.jsonl import JsonlRecorder, jsonl_lines
from .core.record import DATA_KINDS, FINAL_KINDS
from .core.rows import META_KINDS, Row, data_row, event_rows, final_line, meta_line, response_line
from .core.sanitize import sanitize
from .core.secrets import SecretError
from .core.timing import TimeBuckets, TimingStage
from .options import Options, UsageError, add_output_arguments, add_request_arguments, parse_options

EXIT_OK, EXIT_STREAM_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_OUTPUT_FAILED = 1  # stdout or the -o file could not be written
EXIT_READER_LEFT = 128 + 13  # stdout's reader left (`| head`): what a tool killed by SIGPIPE reports
HEAD_KINDS = frozenset((Kind.RESPONSE, Kind.REDIRECT, Kind.INFORMATIONAL))
HEADER = f"{'kind':<8}{'#':>8} {'time':>11} {'+gap':>11} {'size':>10}  preview\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    parser.add_argument("--format", choices=("text", "jsonl"), default="text", help="output format (default text)")
    add_output_arguments(parser)
    parser.add_argument("--stats", action="store_true", help="print gap statistics and rates after the stream")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the request as sent and the response heads to stderr, as curl -v does "
                             "(credentials masked)")


def text_row(label: str, seq: int, t: float, gap: float, size: int | None, text: str) -> str:
    """One aligned line of text output."""
    size_text = "" if size is None else fmt_bytes(size)
    return f"{label:<8}{seq:>8,} {fmt_ms(t):>11} {'+' + fmt_ms(gap):>11} {size_text:>10}  {text}\n"


def stall_line(row: Row) -> str:
    return (f"{'stall':<8}{'':>8} {'':>11} {'+' + fmt_ms(row.gap):>11} {'':>10}"
            f"  ⏸ the server paused: {fmt_ms(row.gap)} without data\n")


class TextPrinter:
    """Aligned, sanitized, human-readable lines for a terminal, from the shared row model."""

    def __init__(self, out: IO[str], timing: TimingStage | None = None) -> None:
        self.out = out
        self.timing = timing  # with --stats: the stream's timing stage and arrivals over time
        self.arrivals = TimeBuckets() if timing is not None else None

    def __call__(self, record: Record) -> None:
        kind, write = record.kind, self.out.write
        if kind in DATA_KINDS:
            row = data_row(record)
            if row.stall:
                write(stall_line(row))
            note = f"  {row.note}" if row.note else ""
            write(text_row(row.label, row.seq, row.t, row.gap, row.size, row.text + note))
            if self.arrivals is not None:
                self.arrivals.add(record.t, record.size)
        elif kind in (Kind.EVENT, Kind.SSE):
            for event in event_rows(record):
                write(text_row(kind.value, event.seq, event.t, event.gap, None,
                               f"{event.label} {event.name} {event.value}".rstrip()))
        elif kind is Kind.RESPONSE:
            write(response_line(record) + "\n" + HEADER)
        elif kind in META_KINDS:
            write(meta_line(record) + "\n")
        elif kind is Kind.FRAMING or kind is Kind.CONTROL:
            row = data_row(record)
            note = f"  {row.note}" if row.note else ""
            write(text_row(row.label, row.seq, row.t, row.gap, row.size, row.text + note))
        elif kind in FINAL_KINDS:
            summary = record.summary
            write(final_line(record) + "\n")
            write(f"phases: {phases_line(summary.phases)}\n")
            if self.arrivals is not None and self.timing is not None:
                write(f"gaps: {gaps_line(summary.gaps)}\n")
                write(f"rate: {rate_line(self.arrivals)}\n")
                for low, high, count in self.timing.gaps.histogram(8):  # bounds rounded outwards: quotable
                    bounds = f"{fmt_ms_down(low):>10} to {fmt_ms_up(high):>10}"
                    write(f"  gaps {bounds}: {count:>8,} {'█' * min(50, count)}\n")
        self.out.flush()


PEAK_WINDOW = 1.0  # seconds: the window of the peak rate


def rate_line(arrivals: TimeBuckets) -> str:
    """The average rate from the request to the last arrival, and the peak over 1 s windows.

    A stream shorter than the window has no peak window: its average over its
    own length is all there is to say, not a count divided by a second it never lasted.
    """
    records, sizes, width = arrivals.resample(10_000)
    count, total, span = sum(records), sum(sizes), arrivals.last
    if not count:
        return "no data records"
    if span <= 0:
        return f"{plural(count, 'record')}, {fmt_bytes(total)}, all at once: no rate"
    average = f"average {count / span:,.1f} records/s, {fmt_bytes(total / span)}/s over {fmt_ms(span)}"
    if span < PEAK_WINDOW:
        return f"{average} (too short for a {PEAK_WINDOW:g} s peak window)"
    window = max(1, round(PEAK_WINDOW / width))
    starts = range(max(1, len(records) - window + 1))
    peak_records = max(sum(records[i:i + window]) for i in starts)
    peak_bytes = max(sum(sizes[i:i + window]) for i in starts)
    seconds = window * width
    return (f"{average}; peak {seconds:g} s window {peak_records / seconds:,.1f} records/s, "
            f"{fmt_bytes(peak_bytes / seconds)}/s")


class Interrupt:
    """Ctrl-C while a stream runs: end it through the engine's own end path, then exit 130.

    The first Ctrl-C cancels the streaming task; `open_stream(end_on_cancel=True)`
    turns that into its `end` record (`stopped: interrupted`), which is printed
    like any other. A second Ctrl-C is Python's KeyboardInterrupt again.
    """

    def __init__(self) -> None:
        self.pressed = False
        self.streaming = False  # the engine has not yet yielded its final record

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Catch SIGINT on the running loop for the duration of the block (where the platform lets us)."""
        loop, task = asyncio.get_running_loop(), asyncio.current_task()

        def on_sigint() -> None:
            self.pressed = True
            loop.remove_signal_handler(signal.SIGINT)  # the next Ctrl-C raises KeyboardInterrupt
            if self.streaming and task is not None:
                task.cancel()

        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError, ValueError):  # no signal handlers here (Windows, a thread)
            yield
            return
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGINT)


class OutputFailed(Exception):
    """stdout (`to_stdout`) or the `-o` file could not be written."""

    def __init__(self, error: OSError, to_stdout: bool) -> None:
        super().__init__(error)
        self.error, self.to_stdout = error, to_stdout


def prepare_stdout(fmt: str) -> None:
    """JSONL goes out as UTF-8 whatever the locale (it is the contract); text in the locale's encoding, with
    what that cannot encode (`·`, `␛` under LANG=C without UTF-8) as backslash escapes instead of a crash."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        with suppress(ValueError, OSError):
            if fmt == "jsonl":
                sys.stdout.reconfigure(encoding="utf-8")
            else:
                sys.stdout.reconfigure(errors="backslashreplace")


def silence_stdout() -> None:
    """Point stdout's descriptor at /dev/null after a write to it failed.

    What is still buffered is flushed once more when the interpreter exits;
    this way that flush cannot fail again (the Python docs' recipe for SIGPIPE).
    """
    with suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def output_failed(failure: OutputFailed, output_name: str | None) -> int:
    """Say what could not be written, in one sentence, and the exit status; a departed reader is no news."""
    if failure.to_stdout:
        silence_stdout()
        if isinstance(failure.error, BrokenPipeError):
            return EXIT_READER_LEFT
    where = "to stdout" if failure.to_stdout else repr(output_name)
    print(f"explorer get: cannot write {where}: {failure.error.strerror or failure.error}.", file=sys.stderr)
    return EXIT_OUTPUT_FAILED


async def stream_to(options: Options, fmt: str, output: JsonlRecorder | None, show_stats: bool = False,
                    base_url: str | None = None, interrupt: Interrupt | None = None,
                    verbose: bool = False) -> Record | None:
    """Run one stream, printing each record as the engine made it; return the final record."""
    request = options.on_demo(base_url) if base_url else options.request
    timing = TimingStage(request.stall_seconds) if show_stats else None
    printer = TextPrinter(sys.stdout, timing) if fmt == "text" else None
    interrupt = interrupt or Interrupt()
    last = None
    with interrupt.armed():
        interrupt.streaming = True
        async with aclosing(open_stream(request, timing, end_on_cancel=True)) as records:  # closed here on failure
            async for record in records:
                last = record
                if record.kind in FINAL_KINDS:
                    interrupt.streaming = False  # a Ctrl-C from here on only sets the exit status
                elif verbose and record.kind in HEAD_KINDS:
                    sys.stderr.write(verbose_text(record))
                    sys.stderr.flush()
                try:
                    if printer:
                        printer(record)
                    else:
                        sys.stdout.write("\n".join(jsonl_lines(record)) + "\n")
                        sys.stdout.flush()
                except OSError as error:
                    raise OutputFailed(error, to_stdout=True) from None
                if output:
                    try:
                        output.write(record)
                    except OSError as error:
                        raise OutputFailed(error, to_stdout=False) from None
        interrupt.streaming = False
    return last


async def _run(options: Options, fmt: str, stats: bool, output: JsonlRecorder | None, verbose: bool) -> int:
    interrupt = Interrupt()
    if options.demo:
        from .demo import BackgroundDemoServer

        async with BackgroundDemoServer() as server:  # its own loop: its pacing is not bent by ours
            final = await stream_to(options, fmt, output, stats, server.url, interrupt, verbose)
    else:
        final = await stream_to(options, fmt, output, stats, interrupt=interrupt, verbose=verbose)
    if interrupt.pressed:
        print("explorer get: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if final is not None and final.kind is Kind.ERROR:
        print(f"explorer: {sanitize(final.summary.error, 500)}", file=sys.stderr)
        return EXIT_STREAM_ERROR
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    output = None
    try:
        options = parse_options(args)  # usage errors before anything else
        try:
            options = dataclasses.replace(options, request=options.resolved())  # ${NAME} values, before sending
        except SecretError as error:
            raise UsageError(str(error)) from None
        if options.request.insecure:
            print("explorer get: warning: --insecure: TLS certificates are not verified.", file=sys.stderr)
        if options.output:
            try:
                if not options.append:
                    open(options.output, "w").close()  # a new run starts a new file
                output = JsonlRecorder(options.output)
            except OSError as error:  # the file named cannot be opened: the argument is unusable
                print(f"explorer get: cannot write {args.output!r}: {error.strerror or error}.", file=sys.stderr)
                return EXIT_USAGE
        prepare_stdout(args.format)
        gc.freeze()  # the modules live as long as the process: a full collection mid-stream need not scan them
        status = asyncio.run(_run(options, args.format, args.stats, output, args.verbose))
        if output is not None:
            try:
                output.close()  # flushes nothing (line-buffered) unless a write was cut short
            except OSError as error:
                raise OutputFailed(error, to_stdout=False) from None
        return status
    except UsageError as error:
        print(f"explorer get: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OutputFailed as failure:
        return output_failed(failure, args.output)
    except KeyboardInterrupt:
        print("\nexplorer get: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if output is not None:
            with suppress(OSError):  # after a failure already reported
                output.close()
