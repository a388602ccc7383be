"""Curl commands: import one pasted from API docs into a `StreamRequest`, and export a request as one.

Quoting is the shell's (read with `shlex`), options are read with `argparse` in any order; an option
explorer does not know is refused by name. Docs write `$OPENAI_API_KEY`, which a shell expands: import
turns each bare `$NAME` in the URL, header values and command-line body into `${NAME}` (file contents
are left alone), resolved just before sending (core/secrets.py). Export writes credentials as references.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import re
import shlex
from functools import partial
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote, quote_from_bytes

from .request import DEFAULT_CONNECT_TIMEOUT, StreamRequest
from .secrets import REFERENCE, with_references

MAX_DATA_FILE = 16 * 1024 * 1024  # bytes read for one `-d @file`
# A shell variable as API docs write one ($OPENAI_API_KEY): upper case only, so JSON's "$ref" stays as written.
_BARE = re.compile(r"\$([A-Z_][A-Z0-9_]*)\b")
_PROMPT = re.compile(r"^\s*(?:\$\s+)?")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DATA = {"data": ("-d", "--data", "--data-ascii"), "binary": ("--data-binary",), "raw": ("--data-raw",),
         "urlencode": ("--data-urlencode",), "json": ("--json",)}
_VALUES = {"request": ("-X", "--request"), "header": ("-H", "--header"), "user": ("-u", "--user"),
           "url": ("--url",), "agent": ("-A", "--user-agent"), "referer": ("-e", "--referer"),
           "cookie": ("-b", "--cookie"), "max_time": ("-m", "--max-time"), "connect": ("--connect-timeout",),
           "ignored": ("-o", "--output", "-w", "--write-out")}
_FLAGS = {"head": ("-I", "--head"), "get": ("-G", "--get"), "insecure": ("-k", "--insecure"),
          "compressed": ("--compressed",),
          "quiet": ("-s", "--silent", "-S", "--show-error", "-N", "--no-buffer", "-v", "--verbose", "-i",
                    "--include", "-f", "--fail", "--fail-with-body", "-#", "-L", "--location", "--http1.1")}


class CurlError(ValueError):
    """A curl command explorer cannot take: one readable sentence (it is shown to users as is)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises CurlError instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise CurlError(f"explorer cannot read this curl command: {message}.")


def _parser() -> _Parser:
    parser = _Parser(prog="curl", add_help=False, exit_on_error=False, allow_abbrev=False)
    for kind, options in _DATA.items():  # one list keeps the order of all data parts, as curl joins them
        parser.add_argument(*options, dest="data", action="append", default=[], type=partial(_tagged, kind))
    for dest, options in _VALUES.items():
        parser.add_argument(*options, dest=dest, action="append" if dest in ("header", "url", "cookie") else "store")
    for dest, options in _FLAGS.items():
        parser.add_argument(*options, dest=dest, action="store_true")
    return parser


def _tagged(kind: str, value: str) -> tuple[str, str]:
    return kind, value


def is_curl(text: str) -> bool:
    """Whether text (as pasted, maybe with leading whitespace or a leading '$ ') is a curl command."""
    return re.match(r"curl(?:\s|$)", _PROMPT.sub("", text, count=1)) is not None


def import_curl(text: str, base: StreamRequest) -> StreamRequest:
    """`base` with method, URL, headers, body (and -k, -m, --connect-timeout) from the command; the rest kept."""
    args = _parse(_words(text))
    urls = [url for url in args.urls if url]
    if len(urls) != 1:
        raise CurlError(f"The curl command has {len(urls)} URLs; explorer streams one at a time." if urls
                        else "The curl command has no URL.")
    url = _braced(urls[0])
    if not (_SCHEME.match(url) or url.startswith(("/", "${"))):
        url = "http://" + url  # what curl guesses
    headers, dropped = _headers(args.header or [])
    given = {name.lower() for name, _ in headers} | dropped
    parts = [_data_part(kind, value) for kind, value in args.data]
    body: bytes | None = None
    if parts and args.get:
        url += ("&" if "?" in url else "?") + "&".join(part.decode("utf-8", "replace") for _, part in parts)
    elif parts:
        body = b"".join(part if kind == "json" or i == 0 else b"&" + part for i, (kind, part) in enumerate(parts))
    json = any(kind == "json" for kind, _ in parts)
    basic = args.user is not None and "authorization" not in given  # an Authorization header wins, as in curl
    derived = [("Authorization", _basic(args.user) if basic else None),
               ("User-Agent", args.agent), ("Referer", (args.referer or "").removesuffix(";auto")),
               ("Cookie", "; ".join(c for c in args.cookie or [] if "=" in c) or None),
               ("Content-Type", None if body is None else "application/json" if json
                else "application/x-www-form-urlencoded"),
               ("Accept", "application/json" if json else None)]
    headers += [(name, _braced(value)) for name, value in derived if value and name.lower() not in given]
    if args.head and body is not None and args.request is None:
        raise CurlError("The curl command asks for both HEAD (-I) and a body (-d); curl refuses that too.")
    method = args.request or ("HEAD" if args.head else "POST" if body is not None else "GET")
    return dataclasses.replace(
        base, url=url, method=method, headers=headers, body=body, insecure=args.insecure or base.insecure,
        raw=False if args.compressed else base.raw,
        max_time=base.max_time if args.max_time is None else _seconds("--max-time", args.max_time),
        connect_timeout=base.connect_timeout if args.connect is None else _seconds("--connect-timeout", args.connect))


def export_curl(request: StreamRequest) -> str:
    """The request as one curl command line, quoted with shlex, with literal credentials as `${NAME}`.

    `-X` appears only when curl would not infer the method (HEAD is `-I`). A body is `--data-raw`,
    a binary one as its UTF-8 decoding with errors='replace'; without a Content-Type header of its
    own, `-H 'Content-Type:'` stops curl adding its form type. The read mode is not exported.
    """
    words = ["curl", request.url]
    if request.method == "HEAD" and request.body is None:
        words.append("-I")
    elif request.method != ("GET" if request.body is None else "POST"):
        words += ["-X", request.method]
    headers = with_references(request.headers)
    for name, value in headers:
        words += ["-H", f"{name}: {value}" if value else f"{name};"]
    if request.body is not None:
        if all(name.lower() != "content-type" for name, _ in headers):
            words += ["-H", "Content-Type:"]
        words += ["--data-raw", request.body.decode("utf-8", errors="replace")]
    if request.insecure:
        words.append("-k")
    if request.max_time is not None:
        words += ["--max-time", str(request.max_time).removesuffix(".0")]
    if request.connect_timeout is not None and request.connect_timeout != DEFAULT_CONNECT_TIMEOUT:
        words += ["--connect-timeout", str(request.connect_timeout).removesuffix(".0")]
    return " ".join(_shell_word(word) for word in words)


def _shell_word(word: str) -> str:
    """`word` quoted for a shell, each `${NAME}` in double quotes so the shell fills it in.

    The rest is quoted by shlex. Adjacent quoted pieces make one word in a shell and in shlex (whose
    double quotes keep `${NAME}` as written, for import). Import joins backslash-newline even inside
    quotes (before shlex): the quote ends between the two.
    """
    pieces, at = [], 0
    for match in REFERENCE.finditer(word):
        if match.start() > at:
            pieces.append(shlex.quote(word[at:match.start()]))
        pieces.append(f'"{match[0]}"')
        at = match.end()
    if at < len(word) or not pieces:
        pieces.append(shlex.quote(word[at:]))
    return "".join(pieces).replace("\\\n", "\\'\"\n\"'").replace("\\\r", "\\'\"\r\"'")


def _words(text: str) -> list[str]:
    """The command's words after `curl`: continuation lines joined, the shell's quoting undone."""
    try:
        words = shlex.split(re.sub(r"\\(?:\r\n|\r|\n)", " ", _PROMPT.sub("", text, count=1)))
    except ValueError as error:
        if "quotation" in str(error):
            raise CurlError("The curl command has a quote that is never closed.") from None
        raise CurlError("The curl command ends with a backslash that escapes nothing.") from None
    if not words or words[0] != "curl":
        raise CurlError("This is not a curl command: it must start with the word curl.")
    return words[1:]


def _parse(words: list[str]) -> argparse.Namespace:
    """The options of the command; URLs in `urls`; CurlError for an option explorer does not know."""
    takes_value = {option for options in (*_DATA.values(), *_VALUES.values()) for option in options}
    joined: list[str] = []
    remaining = iter(words)
    for word in remaining:  # `-d -x`: curl takes the next word whatever it looks like; argparse would not
        value = next(remaining, None) if word in takes_value else None
        joined.append(word if value is None else f"{word}={value}")
    parser = _parser()
    try:
        args, rest = parser.parse_known_args(joined)
    except argparse.ArgumentError as error:
        explicit = re.match(r"ignored explicit argument (['\"])(.*)\1$", error.message)
        if error.message == "expected one argument":
            raise CurlError(f"curl's option {error.argument_name} needs a value.") from None
        if explicit:  # `-sZ` (an unknown letter after a flag) or `--insecure=yes` (a flag given a value)
            valued = any(word.startswith("--") and word.endswith("=" + explicit[2]) for word in words)
            raise CurlError(f"curl's option {error.argument_name} takes no value." if valued
                            else f"explorer does not know curl's option -{explicit[2][0]}.") from None
        parser.error(str(error))
    unknown = next((word for word in rest if word.startswith("-") and word not in ("-", "--")), None)
    if unknown is not None:
        name = unknown.partition("=")[0] if unknown.startswith("--") else unknown[:2]
        raise CurlError(f"explorer does not know curl's option {name}.")
    args.urls = [*(args.url or []), *(word for word in rest if word != "--")]
    return args


def _headers(values: list[str]) -> tuple[list[tuple[str, str]], set[str]]:
    """The -H headers, and the lower-case names of those curl is told not to send ('Name:')."""
    headers: list[tuple[str, str]] = []
    dropped: set[str] = set()
    for text in values:
        name, colon, value = text.partition(":")
        if not colon and text.endswith(";"):  # curl's way to send a header with an empty value
            name, value = text[:-1], ""
        name = name.strip()
        if not name or any(c.isspace() for c in name) or not (colon or text.endswith(";")):
            raise CurlError(f"The curl header {text!r} is not of the form 'Name: value'.")
        if colon and not value.strip():
            dropped.add(name.lower())
        else:
            headers.append((name, _braced(value.strip())))
    return headers, dropped


def _data_part(kind: str, value: str) -> tuple[str, bytes]:
    """One -d/--data-*/--json argument as the bytes curl sends for it."""
    if kind == "urlencode":  # curl's forms: content, =content, name=content, @file, name@file
        name, equals, content = value.partition("=")
        if equals:
            encoded = _urlencoded(_braced(content))
        else:
            name, at, file = value.partition("@")
            encoded = quote_from_bytes(_read(file, "--data-urlencode"), safe="") if at else _urlencoded(_braced(value))
            name = name if at else ""
        return kind, (f"{name}={encoded}" if name else encoded).encode()
    if kind != "raw" and value.startswith("@"):
        data = _read(value[1:], _DATA[kind][0])
        return kind, data.replace(b"\r", b"").replace(b"\n", b"") if kind == "data" else data
    return kind, _braced(value).encode()


def _read(path: str, option: str) -> bytes:
    if path == "-":
        raise CurlError(f"explorer cannot read standard input for {option} @-: put the data in the command.")
    try:
        if Path(path).stat().st_size > MAX_DATA_FILE:
            raise CurlError(f"The file {path!r} given to {option} is larger than {MAX_DATA_FILE:,} bytes.")
        return Path(path).read_bytes()
    except OSError as error:
        raise CurlError(f"Cannot read the file {path!r} given to {option}: {error.strerror or error}.") from None


def _urlencoded(text: str) -> str:
    """`text` percent-encoded as curl does, its `${NAME}` references kept whole so they still resolve."""
    pieces = REFERENCE.split(text)  # the names are the odd pieces
    return "".join("${" + piece + "}" if i % 2 else quote(piece, safe="") for i, piece in enumerate(pieces))


def _basic(user: str) -> str:
    if ":" not in user:
        raise CurlError("curl's -u needs user:password here (without the password curl would ask for it).")
    if _BARE.search(user) or REFERENCE.search(user):
        raise CurlError("-u user:password cannot hold a $NAME reference (it is sent base64-encoded): "
                        "write -H 'Authorization: Basic ${NAME}' instead.")
    return "Basic " + base64.b64encode(user.encode()).decode()


def _seconds(option: str, text: str) -> float | None:
    seconds = float(text) if re.fullmatch(r"\d+\.?\d*|\.\d+", text) else -1.0
    if seconds < 0:
        raise CurlError(f"curl's option {option} needs a number of seconds, not {text!r}.")
    return seconds or None  # 0: no limit


def _braced(text: str) -> str:
    """`text` with each bare `$NAME` written `${NAME}`, the form explorer resolves before sending."""
    return _BARE.sub(r"${\1}", text)
