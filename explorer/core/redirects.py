"""Following redirects ourselves, so every hop is a record and the rules are curl's and the browsers'."""

from __future__ import annotations

from dataclasses import dataclass, replace

from yarl import URL

from .errors import StreamError
from .headers import header_value
from .response_head import Head

REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
FOLLOWED_SCHEMES = ("http", "https")
CREDENTIAL_HEADERS = frozenset(("authorization", "proxy-authorization", "cookie"))
BODY_HEADERS = frozenset(("content-type", "content-length", "content-encoding"))


@dataclass(frozen=True)
class Target:
    """What to send next: the URL, method, headers and body of one hop."""

    url: URL
    method: str
    headers: list[tuple[str, str]]
    body: bytes | None


def location(head: Head) -> str:
    return header_value(head.headers, "Location")


def next_hop(head: Head, sent: Target, followed: int, limit: int) -> Target | None:
    """The next hop when `head` is a redirect to follow, None when it is the final response.

    Raises `StreamError` for a redirect past the limit or to a URL explorer does not follow.
    """
    where = location(head)
    if head.status not in REDIRECT_STATUSES or not where or limit == 0:
        return None
    shown = where if len(where) <= 200 else where[:200] + "…"
    if followed >= limit:
        hops = "1 redirect" if followed == 1 else f"{followed} redirects"
        raise StreamError("redirects", f"Stopped after {hops}, the limit (raise it with --max-redirects).")
    try:
        url = sent.url.join(URL(where))
    except (ValueError, TypeError):
        raise StreamError("redirect_refused", f"The server redirected to {shown}, which is not a usable URL.") from None
    if url.scheme not in FOLLOWED_SCHEMES or not url.host:
        raise StreamError("redirect_refused", f"The server redirected to {shown}: explorer follows redirects to "
                                              "http and https URLs only.")
    target = replace(sent, url=url)
    if (head.status == 303 and sent.method != "HEAD") or (head.status in (301, 302) and sent.method == "POST"):
        target = replace(target, method="GET", body=None,
                         headers=[(n, v) for n, v in target.headers if n.lower() not in BODY_HEADERS])
    if url.origin() != sent.url.origin():
        target = replace(target, headers=[(n, v) for n, v in target.headers if n.lower() not in CREDENTIAL_HEADERS])
    return target
