"""Turning every stream failure into one human sentence and a short stable type."""

from __future__ import annotations

import ssl

import aiohttp
import websockets
from aiohttp.http_exceptions import HttpProcessingError
from websockets.exceptions import ConnectionClosedError, InvalidStatus, InvalidURI


class StreamError(Exception):
    """A failure a read mode detected itself (invalid JSON, zlib, an over-long line...)."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type
        self.message = message


CLOSE_CODE_NAMES = {
    1002: "protocol error",
    1003: "unsupported data",
    1006: "connection lost without a close frame",
    1007: "invalid payload data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal server error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure",
}


def _first_line(text: str) -> str:
    return " ".join(text.strip().split("\n")[0].split()) or "no detail"


def _host(exc: aiohttp.ClientConnectorError) -> str:
    return f"{exc.host}:{exc.port}"


def describe(exc: BaseException, *, idle_timeout: float | None, connect_timeout: float | None,
             received: bool, headers: bool = False, host: str = "") -> tuple[str, str]:
    """(type, message) for an exception raised while opening or reading a stream.

    `received` says whether any data record arrived and `headers` whether the
    response headers did, which separates a server that never answered from
    one that went quiet.
    """
    if isinstance(exc, StreamError):
        return exc.type, exc.message
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns", f"Could not resolve host '{exc.host}': {exc.os_error.strerror or exc.os_error}."
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert = exc.certificate_error
        reason = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or str(cert)
        return "tls", f"The TLS certificate of {exc.host} was rejected: {reason}."
    if isinstance(exc, ssl.SSLCertVerificationError):  # websockets raises it as is
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
        return "tls", f"The TLS certificate of {host or 'the server'} was rejected: {reason}."
    if isinstance(exc, (aiohttp.ClientSSLError, ssl.SSLError)):
        host = f" with {_host(exc)}" if isinstance(exc, aiohttp.ClientConnectorError) else ""
        return "tls", f"The TLS handshake{host} failed: {_first_line(str(getattr(exc, 'os_error', exc)))}."
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection_refused", f"Connection refused by {_host(exc)}: nothing is listening there."
        return "connect", f"Could not connect to {_host(exc)}: {exc.os_error.strerror or exc.os_error}."
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "connect_timeout", f"Could not connect within the {connect_timeout:g} s connect timeout."
    if isinstance(exc, aiohttp.SocketTimeoutError):
        if not headers:
            return "ttfb_timeout", f"No response within the {idle_timeout:g} s idle timeout after sending the request."
        if not received:
            return "ttfb_timeout", f"The server sent headers, then no data within the {idle_timeout:g} s idle timeout."
        return "idle_timeout", f"The stream went silent for longer than the {idle_timeout:g} s idle timeout."
    if isinstance(exc, aiohttp.ClientPayloadError):
        cause = exc.__cause__
        text = str(exc)
        if "ConnectionResetError" in text:
            return "reset", "The server reset the connection in the middle of the body."
        if isinstance(cause, aiohttp.http_exceptions.ContentLengthError):
            return "truncated", f"The body ended early: {_first_line(cause.message)}"
        if isinstance(cause, aiohttp.http_exceptions.TransferEncodingError):
            return "truncated", "The chunked body was cut short: the connection closed before the last chunk."
        return "bad_body", f"The response body could not be read: {_first_line(str(cause or exc))}."
    if isinstance(exc, aiohttp.ClientResponseError) and isinstance(exc.__cause__, HttpProcessingError):
        return "bad_framing", f"The server sent malformed HTTP: {_first_line(exc.message)}."
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "disconnected", "The server closed the connection without a complete response."
    if isinstance(exc, ConnectionResetError) or (
        isinstance(exc, aiohttp.ClientOSError) and isinstance(exc.__cause__ or exc, ConnectionResetError)
    ):
        return "reset", "The server reset the connection."
    if isinstance(exc, aiohttp.TooManyRedirects):
        return "redirects", "Too many redirects."
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid_url", f"Not a usable URL: {exc}."
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        reason = exc.response.reason_phrase
        return "ws_handshake", f"The WebSocket handshake was refused: the server answered HTTP {status} {reason}."
    if isinstance(exc, ConnectionClosedError):
        return ws_close_error(exc)
    if isinstance(exc, InvalidURI):
        return "invalid_url", f"Not a usable WebSocket URL: {exc.uri}."
    if isinstance(exc, websockets.exceptions.InvalidHandshake):
        return "ws_handshake", f"The WebSocket handshake failed: {_first_line(str(exc))}."
    if isinstance(exc, TimeoutError):
        return "timeout", "The operation timed out."
    if isinstance(exc, OSError):
        return "network", f"Network error: {exc.strerror or exc}."
    if isinstance(exc, aiohttp.ClientError):
        return "http", f"HTTP client error: {_first_line(str(exc))}."
    return "internal", f"Unexpected {exc.__class__.__name__}: {_first_line(str(exc))}."


def ws_close_error(exc: ConnectionClosedError) -> tuple[str, str]:
    """A WebSocket closed abnormally, with the code, its meaning and the reason."""
    frame = exc.rcvd
    if frame is None:
        return "ws_closed", "The WebSocket connection was lost without a close frame (code 1006)."
    meaning = CLOSE_CODE_NAMES.get(frame.code, "application-defined")
    reason = f": {frame.reason}" if frame.reason else ""
    return "ws_closed", f"The WebSocket was closed with code {frame.code} ({meaning}){reason}."
