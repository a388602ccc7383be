"""Which HTTP proxy a request goes through, chosen as curl chooses it.

`--proxy URL` (`request.proxy`) wins over the environment, and `--proxy ""`
turns proxies off. Otherwise the environment decides: `http_proxy` for http
and ws URLs, `https_proxy` for https and wss, `all_proxy` when neither is
set, lower-case names before upper-case ones (read by the stdlib's
`getproxies_environment`, which unlike curl also honours upper-case
`HTTP_PROXY`, except under CGI where a client's `Proxy:` header could set
it). `getproxies()` is not used: on macOS and Windows it also reads the
system settings, which curl does not.

The hosts in `--noproxy` (else `no_proxy`/`NO_PROXY`) go direct: a name
matches itself and its subdomains (`example.com` and `.example.com` alike,
`name:port` only on that port, via the stdlib's `proxy_bypass_environment`),
an IP address or CIDR block matches addresses (our own: the stdlib would
suffix-match `2.3` against `1.2.3`), and `*` alone matches every host. They
apply to `--proxy` too, as in curl. One rule of our own: a loopback host
(localhost, 127.0.0.0/8, ::1) never takes a proxy from the environment, so
the demo server and the tests reach themselves whatever a developer
exports; an explicit `--proxy` does apply to loopback.

Only http:// proxies are supported; a proxy URL without a scheme is http://
and without a port is on 1080 (curl's default). User and password in the
proxy URL go out as `Proxy-Authorization: Basic` and are never shown.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.request import getproxies_environment

from yarl import URL

from .errors import StreamError, host_port, without_credentials
from .sanitize import sanitize

if TYPE_CHECKING:
    from .request import StreamRequest

DEFAULT_PROXY_PORT = 1080  # curl's, for a proxy URL without a port
SECURE_SCHEMES = ("https", "wss")
LOOPBACK_RULE = "loopback is never proxied from the environment"


@dataclass(frozen=True, slots=True)
class Route:
    """How one URL is reached: `proxy` as configured (credentials included: never show it), where that
    setting came from (`--proxy` or a variable's name), and why the URL goes direct when one was set."""

    proxy: str | None
    source: str = ""
    direct_because: str = ""


@dataclass(frozen=True, slots=True)
class Proxy:
    """A usable http:// proxy: where it listens, and the Proxy-Authorization its URL's credentials make."""

    host: str  # as in a URL (IDNA-encoded), without brackets
    port: int
    source: str
    authorization: str | None = None

    @property
    def url(self) -> URL:
        """`http://host:port`, no credentials: what aiohttp is given and what is shown."""
        return URL.build(scheme="http", host=self.host, port=self.port)

    @property
    def where(self) -> str:
        return host_port(self.host, self.port)

    def unreachable(self, error: OSError) -> StreamError:
        """The proxy did not take the connection."""
        if isinstance(error, ConnectionRefusedError):
            reason = "connection refused"
        else:
            text = str(error.strerror or error)
            reason = text[:1].lower() + text[1:]
        return StreamError("proxy", f"Could not connect to the proxy {self.where} ({reason.rstrip('.')}).")

    def unresolved(self, reason: str) -> StreamError:
        """The proxy's host name did not resolve."""
        return StreamError("proxy", f"Could not resolve the proxy host '{sanitize(self.host, 80)}': "
                                    f"{reason.rstrip('.')}.")

    def refused(self, status: int, reason: str) -> StreamError:
        """The proxy answered CONNECT with something other than 2xx."""
        reason = sanitize(reason, 100).strip()
        return StreamError("proxy", f"The proxy {self.where} refused the tunnel: HTTP {status}"
                                    f"{' ' + reason if reason else ''}.")


def proxy_for(request: StreamRequest, url: str | URL | None = None) -> str | None:
    """The proxy URL that `url` (by default the request's) goes through, or None to go direct.

    The URL is as configured, with http:// added when it had no scheme, and
    credentials kept: show `describe_proxy`, never this.
    """
    return route(request, url).proxy


def describe_proxy(request: StreamRequest, url: str | URL | None = None) -> str:
    """One line for the Request tab: `via proxy http://127.0.0.1:3128 (from HTTPS_PROXY)`, `direct (why)`
    or `direct`. Credentials never show."""
    chosen = route(request, url)
    if chosen.proxy is None:
        if chosen.direct_because:
            return f"direct ({chosen.direct_because})"
        return "direct (--proxy '' turns proxies off)" if chosen.source else "direct"
    try:
        shown = str(_parse(chosen.proxy, chosen.source).url)
    except StreamError as error:
        return f"unusable proxy: {error.message}"
    return sanitize(f"via proxy {shown} (from {chosen.source})", 300)


def proxy_to_use(request: StreamRequest, url: URL) -> Proxy | None:
    """The proxy a client sends `url` through, or None; a StreamError for a proxy explorer cannot use."""
    chosen = route(request, url)
    return None if chosen.proxy is None else _parse(chosen.proxy, chosen.source)


def route(request: StreamRequest, url: str | URL | None = None) -> Route:
    """How `url` (by default the request's) is reached, by the rules in the module docstring; never raises."""
    try:
        target = URL(request.url if url is None else url)
        host = (target.raw_host or "").lower().rstrip(".")
        port = target.port or 0
    except (ValueError, TypeError):
        return Route(None)
    if request.proxy is not None:
        value, source = request.proxy.strip(), "--proxy"
        if not value:
            return Route(None, source)
    else:
        found = _from_environment("https" if target.scheme in SECURE_SCHEMES else "http")
        if found is None:
            return Route(None)
        value, source = found
        if is_loopback(host):
            return Route(None, source, LOOPBACK_RULE)
    if request.noproxy is not None:
        hosts, named = request.noproxy, "--noproxy"
    else:
        hosts = getproxies_environment().get("no", "")
        named = _variable("no", hosts)
    if hosts and bypassed(host, port, hosts):
        return Route(None, source, f"{named} matches {sanitize(host, 80)}")
    return Route(value if "://" in value else f"http://{value}", source)


def _from_environment(key: str) -> tuple[str, str] | None:
    """(proxy URL, variable name) for `key` ("http" or "https"), falling back to all_proxy."""
    proxies = getproxies_environment()
    for name in (key, "all"):
        value = proxies.get(name)
        if value:
            return value, _variable(name, value)
    return None


def _variable(key: str, value: str) -> str:
    """The name of the environment variable that set `{key}_proxy` to `value` (lower-case first)."""
    wanted = f"{key}_proxy"
    names = [name for name, text in os.environ.items() if name.lower() == wanted and text == value]
    return wanted if wanted in names else (names[0] if names else wanted.upper())


def is_loopback(host: str) -> bool:
    """localhost (and names under .localhost), 127.0.0.0/8 and ::1, IPv4-mapped ones included."""
    name = host.lower().strip("[]").rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def bypassed(host: str, port: int, hosts: str) -> bool:
    """Whether `host` on `port` is in the comma-separated `hosts` (a no_proxy list)."""
    if hosts.strip() == "*":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        # The stdlib's no_proxy matcher (urllib's own, since Python 2; typeshed does not list it).
        return bool(urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
            f"{host}:{port}", {"no": hosts}))
    return any(_address_matches(address, port, entry.strip()) for entry in hosts.split(","))


def _address_matches(address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int, entry: str) -> bool:
    """An IP address against one no_proxy entry: an address or CIDR block, with an optional `:port`."""
    wanted: str | None = None
    if entry.startswith("["):
        entry, _, rest = entry[1:].partition("]")
        wanted = rest[1:] if rest.startswith(":") else None
    elif entry.count(":") == 1:
        entry, wanted = entry.split(":")
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return address in network and (wanted is None or wanted == str(port))


def _parse(value: str, source: str) -> Proxy:
    """A configured proxy URL as a `Proxy`; a StreamError for one explorer cannot use."""
    shown = sanitize(without_credentials(value), 200)
    try:
        url = URL(value)
        host = url.raw_host or ""
        port = url.explicit_port or DEFAULT_PROXY_PORT
    except (ValueError, TypeError):
        raise StreamError("proxy", f"The proxy address from {source} is not a usable URL.") from None
    if url.scheme != "http":
        kind = "a SOCKS proxy" if url.scheme.startswith("socks") else f"a {url.scheme}:// proxy"
        raise StreamError("proxy", f"The proxy {shown} (from {source}) is {kind}, which explorer does not "
                                   "support: only http:// proxies are.")
    if not host:
        raise StreamError("proxy", f"The proxy address {shown} (from {source}) has no host.")
    authorization = None
    if url.user is not None:
        token = base64.b64encode(f"{url.user}:{url.password or ''}".encode()).decode()
        authorization = f"Basic {token}"
    return Proxy(host, port, source, authorization)

