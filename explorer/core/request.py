"""What to stream and how: the `StreamRequest` every face builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .modes import MODES, REGISTRY
from .sanitize import sanitize

if TYPE_CHECKING:
    import ssl

# yarl, ssl and ipaddress are imported where they are used: `explorer --help` reads the
# defaults above and needs none of them.

HTTP_SCHEMES = ("http", "https")
WS_SCHEMES = ("ws", "wss")

DEFAULT_CHUNK_SIZE = 1024
DEFAULT_MAX_LINE = 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_MAX_HEADER_SIZE = 100 * 1024  # curl's limit for one header block
DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
DEFAULT_MAX_VALUE = 4 * 1024 * 1024  # ijson rescans a value it holds on every read: keep that cost bounded
DEFAULT_MAX_DEPTH = 1000  # about where Python's json stops
# A stall (timing.py): a gap of at least STALL_SECONDS (the request's `stall_seconds`) that is also
# STALL_FACTOR times the median gap so far. Defined here, with the other defaults `--help` shows,
# so that `--help` does not load the timing statistics and the record types.
STALL_SECONDS = 1.0
STALL_FACTOR = 5.0


@dataclass
class StreamRequest:
    """One stream to open: URL, read mode, HTTP details, limits and TLS options."""

    url: str
    mode: str = "auto"
    method: str = "GET"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_line: int = DEFAULT_MAX_LINE
    connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT
    idle_timeout: float | None = None
    max_time: float | None = None
    raw: bool = False
    insecure: bool = False
    cacert: str | None = None
    stall_seconds: float = STALL_SECONDS
    max_redirects: int = DEFAULT_MAX_REDIRECTS  # 0: do not follow
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE
    max_message: int = DEFAULT_MAX_MESSAGE  # largest WebSocket message
    framing: bool = False  # read over the wire-level client and show the raw chunk framing
    max_value: int = DEFAULT_MAX_VALUE  # largest JSON value or SSE event held; longer wire chunks come in pieces
    max_depth: int = DEFAULT_MAX_DEPTH  # deepest JSON nesting
    subprotocols: list[str] = field(default_factory=list)  # WebSocket subprotocols offered in the handshake
    sends: list[str] = field(default_factory=list)  # WebSocket messages sent after connecting (after the body)
    send_interval: float = 0.0  # seconds between those messages
    proxy: str | None = None  # --proxy URL: overrides HTTP(S)_PROXY; "" means no proxy at all
    noproxy: str | None = None  # --noproxy HOSTS: overrides NO_PROXY ("*" for every host)
    show_secrets: bool = False  # do not mask Authorization-like header values
    # The values of the `${NAME}` references in url, headers and body, resolved just before sending
    # (core/secrets.py). Never shown, logged or written: only the clients expand them.
    secrets: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def problem(self, url_required: bool = True) -> str | None:
        """A sentence saying why this request cannot be sent, or None when it can.

        `url_required=False` checks only the options (a template the app fills in later).
        """
        if self.mode not in MODES:
            return f"Unknown mode '{self.mode}': choose one of {', '.join(MODES)}."
        if not url_required and not self.url:
            return self._option_problem()
        from yarl import URL

        try:
            url = URL(self.url)
        except (ValueError, TypeError) as error:
            return _unparsable(self.url, error)
        if url.scheme not in HTTP_SCHEMES + WS_SCHEMES or not url.raw_host:
            return _NEEDS_HOST.format(self.url)
        problem = host_problem(url.raw_host)
        if problem:
            return problem
        try:
            url.host  # noqa: B018 (decoding an xn-- label can fail)
        except ValueError:
            return f"Not a usable URL: the host name '{_shown(url.raw_host)}' is not valid punycode (IDNA)."
        if url.scheme in WS_SCHEMES and not (REGISTRY[self.mode].websocket or self.mode == "auto"):
            return f"A {url.scheme}:// URL needs mode ws (or auto), not {self.mode}."
        return self._option_problem()

    def _option_problem(self) -> str | None:
        if self.chunk_size < 1:
            return "The chunk size must be at least 1 byte."
        if self.max_line < 1:
            return "The line cap must be at least 1 byte."
        if self.max_redirects < 0:
            return "The redirect limit must be 0 (do not follow) or more."
        if self.max_header_size < 1024:
            return "The header size cap must be at least 1024 bytes."
        if self.max_message < 1:
            return "The WebSocket message cap must be at least 1 byte."
        if self.max_value < 1:
            return "The value cap must be at least 1 byte."
        if self.max_depth < 1:
            return "The JSON depth cap must be at least 1 level."
        if self.send_interval < 0:
            return "The send interval must be 0 seconds or more."
        for name in ("connect_timeout", "idle_timeout", "max_time", "stall_seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                return f"{name.replace('_', ' ').capitalize()} must be more than 0 seconds."
        return None

    @property
    def host(self) -> str:
        from yarl import URL

        try:
            return URL(self.url).host or ""
        except (ValueError, TypeError):
            return ""

    @property
    def is_websocket(self) -> bool:
        from yarl import URL

        return REGISTRY[self.mode].websocket or URL(self.url).scheme in WS_SCHEMES

    def ssl_context(self) -> ssl.SSLContext | bool | None:
        """What to pass as `ssl=`: None for defaults, False to skip verification, or a context."""
        if self.insecure:
            return False
        if self.cacert:
            import ssl

            return ssl.create_default_context(cafile=self.cacert)
        return None


def host_problem(host: str) -> str | None:
    """Why `host` (as in a URL, IDNA-encoded or not) cannot name a server, or None when it can.

    DNS rules, checked before anything is sent: no empty label, labels of at
    most 63 characters, at most 253 in all, letters, digits, '-' and '_'
    only, and an all-numeric name must be a full IPv4 address. One trailing dot
    (the DNS root) is allowed. IPv6 addresses in brackets are checked by the URL parser.
    """
    if ":" in host:
        return None
    name = host[:-1] if host.endswith(".") else host
    shown = _shown(host)
    if not name:
        return "Not a usable URL: the host name is empty."
    labels = name.split(".")
    if "" in labels:
        return (f"Not a usable URL: the host name '{shown}' has an empty label "
                f"(two dots in a row, or a dot at the start).")
    longest = max(labels, key=len)
    if len(longest) > 63:
        return (f"Not a usable URL: the host name '{shown}' has a label of {len(longest)} characters; "
                f"DNS allows at most 63.")
    if len(name) > 253:
        return f"Not a usable URL: the host name is {len(name)} characters long; DNS allows at most 253."
    bad = next((c for c in name if not (c.isalnum() or c in "-_.")), None)
    if bad is not None:
        return f"Not a usable URL: the host name '{shown}' contains {_character(bad)}, which no host name can hold."
    if all(label.isdigit() for label in labels):
        import ipaddress

        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return (f"Not a usable URL: '{shown}' is not an IPv4 address "
                    f"(four numbers from 0 to 255, such as 127.0.0.1).")
    return None


def _unparsable(text: str, error: Exception) -> str:
    """The sentence for a URL the parser refused."""
    try:
        split = urlsplit(text)
        netloc, host = split.netloc, split.hostname
    except ValueError:
        netloc, host = text, None
    if "[" in netloc and "]" not in netloc:
        return f"Not a usable URL: {text!r}: the IPv6 address has no closing bracket ']'."
    if "[" in netloc or "IPv6" in str(error):
        return f"Not a usable URL: {text!r}: the IPv6 address between the brackets is not valid."
    if isinstance(error, UnicodeError) and host:
        # The host could not be IDNA-encoded: say why in DNS terms where we can.
        return host_problem(host) or (f"Not a usable URL: the host name '{_shown(host)}' cannot be written "
                                      f"as an ASCII domain name (IDNA).")
    if "host is required" in str(error):
        return _NEEDS_HOST.format(text)
    reason = str(error).rstrip(".")
    return f"Not a usable URL: {text!r} ({reason})." if reason else f"Not a usable URL: {text!r}."


_NEEDS_HOST = "Not a usable URL: {!r}. It needs a scheme (http, https, ws or wss) and a host."


def _shown(host: str) -> str:
    return sanitize(host, 80)


def _character(c: str) -> str:
    if c == " ":
        return "a space"
    if not c.isprintable():
        return f"the control character U+{ord(c):04X}"
    return f"'{c}'"
