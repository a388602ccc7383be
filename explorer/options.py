"""Request options shared by `explorer get`, `explorer URL` and `explorer compare`, parsed once."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .core.modes import MODES
from .core.request import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_HEADER_SIZE,
    DEFAULT_MAX_LINE,
    DEFAULT_MAX_MESSAGE,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_MAX_VALUE,
    STALL_FACTOR,
    STALL_SECONDS,
    StreamRequest,
)


class UsageError(ValueError):
    """A bad option value: the command exits with status 2."""


@dataclass(frozen=True)
class Options:
    """What the command line asked for: the request (a template until it has a URL) and where it goes."""

    request: StreamRequest
    demo: bool = False  # start the demo server in-process; `demo_path` is a path on it
    demo_path: str | None = None
    output: str | None = None  # also write JSONL records to this file
    append: bool = False  # add to `output` instead of starting it anew
    env_file: str | None = None  # dotenv file for `${NAME}` references, read at each start

    def resolved(self, request: StreamRequest | None = None) -> StreamRequest:
        """`request` (default: the options' own) with its `${NAME}` values looked up; raises SecretError."""
        from .core.secrets import environment, resolve

        return resolve(request or self.request, environment(self.env_file))

    def on_demo(self, base_url: str) -> StreamRequest:
        """The request with the demo path resolved against the running demo server."""
        from .demo.catalog import demo_url

        if self.demo_path is None:  # a full URL given with --demo (from --curl): the server runs beside it
            return self.request
        return dataclasses.replace(self.request, url=demo_url(base_url, self.demo_path, self.request.mode))


def add_request_arguments(parser: argparse.ArgumentParser, *, url_required: bool = True) -> None:
    """Add URL and the request options to `parser`."""
    parser.add_argument("url", nargs="?", metavar="URL",
                        help="http(s):// or ws(s):// URL (with --demo: a path on the demo server)")
    parser.add_argument("-m", "--mode", choices=MODES, default="auto", help="read mode (default auto)")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, metavar="N",
                        help=f"largest read in chunked mode (default {DEFAULT_CHUNK_SIZE})")
    parser.add_argument("-X", "--method", default=None, help="HTTP method (default GET, POST with -d)")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'",
                        help="request header, repeatable")
    parser.add_argument("-d", "--data", default=None, metavar="BODY", help="request body; @FILE reads a file")
    parser.add_argument("--connect-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT, metavar="S",
                        help=f"seconds to connect (default {DEFAULT_CONNECT_TIMEOUT:g})")
    parser.add_argument("--idle-timeout", type=float, default=None, metavar="S",
                        help="longest silence between reads, in seconds (default: none)")
    parser.add_argument("--max-time", type=float, default=None, metavar="S",
                        help="stop cleanly after S seconds")
    parser.add_argument("--max-line", type=int, default=DEFAULT_MAX_LINE, metavar="BYTES",
                        help=f"longest line in lines mode, and SSE line (default {DEFAULT_MAX_LINE})")
    parser.add_argument("--max-value", type=int, default=DEFAULT_MAX_VALUE, metavar="BYTES",
                        help="largest JSON value or SSE event held; a longer wire chunk comes in pieces of "
                             "this size, and zlib mode keeps this much of a read's decoded bytes "
                             f"(default {DEFAULT_MAX_VALUE})")
    parser.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH, metavar="N",
                        help=f"deepest JSON nesting (default {DEFAULT_MAX_DEPTH})")
    parser.add_argument("--stall", type=float, default=STALL_SECONDS, metavar="S",
                        help=f"mark gaps of at least S seconds (and {STALL_FACTOR:g}x the median) as stalls "
                             f"(default {STALL_SECONDS:g})")
    parser.add_argument("--max-redirects", type=int, default=DEFAULT_MAX_REDIRECTS, metavar="N",
                        help=f"redirects to follow, 0 for none (default {DEFAULT_MAX_REDIRECTS})")
    parser.add_argument("--max-header-size", type=int, default=DEFAULT_MAX_HEADER_SIZE, metavar="BYTES",
                        help=f"largest response header block (default {DEFAULT_MAX_HEADER_SIZE})")
    parser.add_argument("--max-message", type=int, default=DEFAULT_MAX_MESSAGE, metavar="BYTES",
                        help=f"largest WebSocket message (default {DEFAULT_MAX_MESSAGE})")
    parser.add_argument("--framing", action="store_true",
                        help="read over the wire-level client and show the raw chunk framing (size lines, CRLFs)")
    parser.add_argument("--raw", action="store_true", help="do not decode Content-Encoding")
    parser.add_argument("-k", "--insecure", action="store_true", help="skip TLS certificate verification")
    parser.add_argument("--cacert", metavar="FILE", default=None, help="trust the CA certificates in FILE")
    parser.add_argument("--demo", action="store_true", help="start the demo server in-process; URL is a path on it")
    parser.add_argument("--curl", metavar="'curl ...'", default=None,
                        help="take method, URL, headers and body from a curl command (as API docs print them)")
    parser.add_argument("--env-file", metavar="FILE", default=None,
                        help="dotenv file of variables for ${NAME} in the URL, headers and body "
                             "(besides the environment)")
    parser.add_argument("--show-secrets", action="store_true",
                        help="show Authorization-like header values instead of masking them")
    parser.add_argument("--proxy", metavar="URL", default=None,
                        help="send through this HTTP proxy (overrides HTTP_PROXY and HTTPS_PROXY)")
    parser.add_argument("--noproxy", metavar="HOSTS", default=None,
                        help="comma-separated hosts to reach directly, '*' for all (overrides NO_PROXY)")
    parser.add_argument("--subprotocol", action="append", default=[], metavar="NAME",
                        help="WebSocket subprotocol to offer, repeatable")
    parser.add_argument("--send", action="append", default=[], metavar="TEXT",
                        help="WebSocket: send this message after connecting (after -d), repeatable")
    parser.add_argument("--send-interval", type=float, default=0.0, metavar="S",
                        help="WebSocket: seconds between the --send messages (default 0)")


def add_get_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `explorer get` (here, so that `get --help` loads nothing more)."""
    add_request_arguments(parser)
    parser.add_argument("--format", choices=("text", "jsonl"), default="text", help="output format (default text)")
    add_output_arguments(parser)
    parser.add_argument("--stats", action="store_true", help="print gap statistics and rates after the stream")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the request as sent and the response heads to stderr, as curl -v does "
                             "(credentials masked)")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `-o FILE` and `--append`: the same meaning in every face (a new file unless --append)."""
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="also write every record as JSONL to FILE as it arrives (one write per read); "
                             "FILE starts empty unless --append")
    parser.add_argument("--append", action="store_true", help="with -o: add to FILE instead of replacing it")


def parse_header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise UsageError(f"A header must look like 'Name: value', not {text!r}.")
    return name.strip(), value.strip()


def read_body(text: str | None) -> bytes | None:
    if text is None:
        return None
    if text.startswith("@"):
        try:
            return Path(text[1:]).read_bytes()
        except OSError as error:
            raise UsageError(f"Cannot read the body file {text[1:]!r}: {error.strerror}.") from None
    return text.encode()


def parse_options(args: argparse.Namespace, *, url_required: bool = True, mode: str | None = None,
                  url: str | None = None) -> Options:
    """Options from parsed arguments, validated; raises UsageError.

    With --demo the URL is a demo path, resolved once the server runs (`Options.on_demo`).
    Without a URL (and `url_required=False`) the request is a template: options checked, URL empty.
    `mode` and `url` override the arguments (the sides of a comparison).
    """
    if args.cacert and not Path(args.cacert).is_file():
        raise UsageError(f"The CA file {args.cacert!r} does not exist.")
    url = url if url is not None else args.url
    demo_path = url if args.demo else None
    body = read_body(args.data)
    if args.env_file and not Path(args.env_file).is_file():
        raise UsageError(f"The env file {args.env_file!r} does not exist.")
    request = StreamRequest(
        url="" if args.demo else (url or ""),
        mode=mode or args.mode,
        method=(args.method or ("POST" if body is not None else "GET")).upper(),
        headers=[parse_header(h) for h in args.header],
        body=body,
        chunk_size=args.chunk_size,
        max_line=args.max_line,
        connect_timeout=args.connect_timeout,
        idle_timeout=args.idle_timeout,
        max_time=args.max_time,
        raw=args.raw,
        insecure=args.insecure,
        cacert=args.cacert,
        stall_seconds=args.stall,
        max_redirects=args.max_redirects,
        max_header_size=args.max_header_size,
        max_message=args.max_message,
        framing=args.framing,
        max_value=args.max_value,
        max_depth=args.max_depth,
        subprotocols=args.subprotocol,
        sends=args.send,
        send_interval=args.send_interval,
        proxy=args.proxy,
        noproxy=args.noproxy,
        show_secrets=args.show_secrets,
    )
    if args.curl is not None:
        from .core.curl import CurlError, import_curl

        try:
            request = import_curl(args.curl, request)
        except CurlError as error:
            raise UsageError(str(error)) from None
        # with --demo, a curl URL that is a path names a demo endpoint
        demo_path = request.url if args.demo and request.url.startswith("/") else None
        if demo_path:
            request = dataclasses.replace(request, url="")
    if url_required and not url and args.curl is None:
        raise UsageError("Give a URL to stream (or a curl command with --curl).")
    problem = request.problem(url_required=url_required and not (demo_path or (args.demo and args.curl is None)))
    if problem:
        raise UsageError(problem)
    if url_required and args.demo and args.curl is None and not demo_path:
        raise UsageError("With --demo, give a path on the demo server, for example /ndjson.")
    output, append = getattr(args, "output", None), getattr(args, "append", False)
    if append and not output:
        raise UsageError("--append adds to the file named by -o FILE: give -o too.")
    return Options(request, demo=args.demo, demo_path=demo_path, output=output,
                   append=append, env_file=args.env_file)
