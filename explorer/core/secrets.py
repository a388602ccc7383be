"""Secrets: `${NAME}` references in a request, and masking Authorization-like values wherever they show.

A request is kept, shown, saved and put in history as written, with its
`${NAME}` references. Just before it is sent, `resolve` looks each name up
(in the environment, or an `--env-file`) and puts the values in
`request.secrets`; only the clients expand them (`expand`), and what comes
back is written with the references again (`retemplate`), so a value never
reaches the screen, a capture or a file.

Header values whose names say they hold a credential (Authorization,
Proxy-Authorization, Cookie, Set-Cookie, and any name containing key,
token, secret or auth) are masked where they show: `Bearer sk-…f3a9 (masked)`.
`--show-secrets` (`request.show_secrets`) turns masking off.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

if TYPE_CHECKING:
    from .request import StreamRequest

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REFERENCE_BYTES = re.compile(rb"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_NAMES = frozenset(("authorization", "proxy-authorization", "cookie", "set-cookie"))
SECRET_PARTS = ("key", "token", "secret", "auth")
MASKED = " (masked)"
SHOW_ENDS_FROM = 16  # a value at least this long shows its first 3 and last 4 characters
MAX_ENV_FILE = 1024 * 1024  # bytes of an --env-file read


class SecretError(ValueError):
    """A `${NAME}` that cannot be resolved, or an env file that cannot be read: one sentence."""


def is_secret(name: str) -> bool:
    """Whether a header of this name holds a credential."""
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(part in lowered for part in SECRET_PARTS)


def is_literal_credential(name: str, value: str) -> bool:
    """Whether this header holds a credential typed in as is (not a `${NAME}` reference)."""
    return is_secret(name) and bool(value) and "${" not in value


def mask(value: str) -> str:
    """`value` with its credential hidden: an auth scheme word stays, the rest shows at most its ends."""
    scheme, space, token = value.partition(" ")
    if not space or not scheme.isalpha() or not token:
        scheme, token = "", value
    shown = f"{token[:3]}…{token[-4:]}" if len(token) >= SHOW_ENDS_FROM else "…"
    return f"{scheme} {shown}{MASKED}" if scheme else f"{shown}{MASKED}"


def shown_headers(headers: Iterable[tuple[str, str]], secrets: Mapping[str, str],
                  show: bool = False) -> list[tuple[str, str]]:
    """Headers as they may be shown or kept: credentials masked, other resolved values as their references.

    `show` (--show-secrets) keeps everything as it was sent.
    """
    if show:
        return list(headers)
    return [(name, mask(value) if is_secret(name) and value else retemplate(value, secrets))
            for name, value in headers]


def references(request: StreamRequest) -> list[str]:
    """The `${NAME}` names the request uses (URL, header names and values, body), in order, once each."""
    texts = [request.url, *(part for header in request.headers for part in header), *request.sends]
    names = [m[1] for text in texts for m in REFERENCE.finditer(text)]
    if request.body:
        names += [m[1].decode() for m in _REFERENCE_BYTES.finditer(request.body)]
    return list(dict.fromkeys(names))


def resolve(request: StreamRequest, env: Mapping[str, str] | None = None) -> StreamRequest:
    """The request with the values of its references in `secrets`; SecretError names any unknown one."""
    env = os.environ if env is None else env
    names = references(request)
    unknown = [name for name in names if name not in env]
    if unknown:
        listed = ", ".join("${" + name + "}" for name in unknown)
        one = len(unknown) == 1
        raise SecretError(f"The request uses {listed}, which {'is' if one else 'are'} not set: export "
                          f"{'it' if one else 'them'} or put {'it' if one else 'them'} in an env file "
                          "(--env-file). Nothing was sent.")
    return dataclasses.replace(request, secrets={name: env[name] for name in names})


def expand(text: str, secrets: Mapping[str, str]) -> str:
    """`text` with its references replaced by their values (unknown ones stay as written)."""
    if not secrets or "${" not in text:
        return text
    return REFERENCE.sub(lambda m: secrets.get(m[1], m[0]), text)


def expand_bytes(data: bytes | None, secrets: Mapping[str, str]) -> bytes | None:
    """A body with its references replaced by their values (UTF-8)."""
    if data is None or not secrets or b"${" not in data:
        return data
    return _REFERENCE_BYTES.sub(lambda m: secrets[m[1].decode()].encode() if m[1].decode() in secrets else m[0],
                                data)


def retemplate(text: str, secrets: Mapping[str, str]) -> str:
    """`text` with every resolved value written as its reference again (for what is shown or kept)."""
    for name, value in sorted(secrets.items(), key=lambda item: -len(item[1])):
        if value:
            text = text.replace(value, "${" + name + "}")
    return text


def reference_name(header: str) -> str:
    """The variable a literal credential in this header is exported as: X-Api-Key → X_API_KEY."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", header).strip("_").upper()
    return name if name and not name[0].isdigit() else f"H_{name}"


def with_references(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers with each literal credential replaced by a `${NAME}` reference (an auth scheme word stays).

    What copy-as-curl and history write: a value that already holds a reference is kept as written.
    """
    kept = []
    for name, value in headers:
        if is_literal_credential(name, value):
            scheme, space, token = value.partition(" ")
            reference = "${" + reference_name(name) + "}"
            value = f"{scheme} {reference}" if space and scheme.isalpha() and token else reference
        kept.append((name, value))
    return kept


def read_env_file(path: str) -> dict[str, str]:
    """The variables a dotenv file sets (python-dotenv's format); SecretError when it cannot be read."""
    from dotenv import dotenv_values

    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as error:
        raise SecretError(f"Cannot read the env file {path!r}: {error.strerror or error}.") from None
    if size > MAX_ENV_FILE:
        raise SecretError(f"The env file {path!r} is {size:,} bytes; explorer reads at most {MAX_ENV_FILE:,} "
                          "(MAX_ENV_FILE).")
    try:
        values = dotenv_values(file, interpolate=False)
    except (OSError, UnicodeDecodeError) as error:
        raise SecretError(f"Cannot read the env file {path!r}: {getattr(error, 'strerror', None) or error}.") \
            from None
    return {name: value for name, value in values.items() if value is not None}


def environment(env_file: str | None) -> dict[str, str]:
    """Where `${NAME}` looks: the process environment, and over it the env file's variables."""
    env = dict(os.environ)
    if env_file:
        env.update(read_env_file(env_file))
    return env
