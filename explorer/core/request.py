"""What to stream and how: the `StreamRequest` every face builds."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from yarl import URL

from .modes import MODES, REGISTRY
from .timing import STALL_SECONDS

HTTP_SCHEMES = ("http", "https")
WS_SCHEMES = ("ws", "wss")

DEFAULT_CHUNK_SIZE = 1024
DEFAULT_MAX_LINE = 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_MAX_HEADER_SIZE = 100 * 1024  # curl's limit for one header block
DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024


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

    def problem(self, url_required: bool = True) -> str | None:
        """A sentence saying why this request cannot be sent, or None when it can.

        `url_required=False` checks only the options (a template the app fills in later).
        """
        if self.mode not in MODES:
            return f"Unknown mode '{self.mode}': choose one of {', '.join(MODES)}."
        if not url_required and not self.url:
            return self._option_problem()
        try:
            url = URL(self.url)
        except (ValueError, TypeError) as error:
            return f"Not a usable URL: {self.url!r} ({error})."
        if url.scheme not in HTTP_SCHEMES + WS_SCHEMES or not url.host:
            return f"Not a usable URL: {self.url!r}. It needs a scheme (http, https, ws or wss) and a host."
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
        for name in ("connect_timeout", "idle_timeout", "max_time", "stall_seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                return f"{name.replace('_', ' ').capitalize()} must be more than 0 seconds."
        return None

    @property
    def host(self) -> str:
        try:
            return URL(self.url).host or ""
        except (ValueError, TypeError):
            return ""

    @property
    def is_websocket(self) -> bool:
        return REGISTRY[self.mode].websocket or URL(self.url).scheme in WS_SCHEMES

    def ssl_context(self) -> ssl.SSLContext | bool | None:
        """What to pass as `ssl=`: None for defaults, False to skip verification, or a context."""
        if self.insecure:
            return False
        if self.cacert:
            return ssl.create_default_context(cafile=self.cacert)
        return None
