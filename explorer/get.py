"""`explorer get URL`: the engine headless, as aligned text or JSONL on stdout."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import signal
import sys
from contextlib import aclosing, contextmanager, suppress
from typing import IO, Iterator

from .core.batches import ByteSink, ReadBatches
from .core.heads import verbose_text
from .core.jsonl import JsonlRecorder, jsonl_batch
from .core.record import FINAL_KINDS, Kind, Record
from .core.sanitize import sanitize
from .core.secrets import SecretError
from .core.timing import TimingStage
from .options import Options, UsageError, parse_options
from .text_output import TextPrinter

EXIT_OK, EXIT_STREAM_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_OUTPUT_FAILED = 1  # stdout or the -o file could not be written
EXIT_READER_LEFT = 128 + 13  # stdout's reader left (`| head`): what a tool killed by SIGPIPE reports
HEAD_KINDS = frozenset((Kind.RESPONSE, Kind.REDIRECT, Kind.INFORMATIONAL))


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


def stdout_bytes() -> ByteSink:
    """stdout's byte stream, with what was printed to it as text before written out first."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    return buffer if buffer is not None else _TextAsBytes(sys.stdout)


class _TextAsBytes:
    """A text stdout without a byte stream under it (a test's replacement): bytes written to it as UTF-8 text."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text

    def write(self, data: bytes) -> None:
        self.text.write(data.decode("utf-8", "replace"))

    def flush(self) -> None:
        self.text.flush()


def text_encoding() -> str:
    """The encoding text output is written in: the locale's (what stdout was opened with), else UTF-8."""
    return getattr(sys.stdout, "encoding", None) or "utf-8"


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
    """Run one stream, printing each record as the engine made it; return the final record.

    What the records of one read render to is written in one write (`ReadBatches`). JSONL is UTF-8 whatever
    the locale (it is the contract); text is in the locale's encoding, with what that cannot encode (`·`,
    `␛` under LANG=C) as backslash escapes instead of a crash.
    """
    from .core.stream import open_stream  # the engine and its network libraries: not for --help

    request = options.on_demo(base_url) if base_url else options.request
    timing = TimingStage(request.stall_seconds) if show_stats else None
    if fmt == "text":
        printer, encoding = TextPrinter(timing), text_encoding()

        def render(records: list[Record]) -> bytes:
            return printer.render_batch(records).encode(encoding, "backslashreplace")
    else:
        render = jsonl_batch
    interrupt = interrupt or Interrupt()
    task = asyncio.current_task()

    def stop_streaming(_: OSError) -> None:  # stdout failed between records: end the stream now
        if interrupt.streaming and task is not None:
            task.cancel()

    stdout = ReadBatches(stdout_bytes(), render, on_failure=stop_streaming)
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
                    stdout.add(record)
                except OSError as error:
                    raise OutputFailed(error, to_stdout=True) from None
                if output:
                    try:
                        output.write(record)
                    except OSError as error:
                        raise OutputFailed(error, to_stdout=False) from None
        interrupt.streaming = False
    try:
        stdout.flush()
    except OSError as error:
        raise OutputFailed(error, to_stdout=True) from None
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
        gc.freeze()  # the modules live as long as the process: a full collection mid-stream need not scan them
        status = asyncio.run(_run(options, args.format, args.stats, output, args.verbose))
        if output is not None:
            try:
                output.close()  # writes what the last read made
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
