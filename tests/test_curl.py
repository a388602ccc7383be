"""Curl commands: importing what API docs print, refusing what explorer cannot take, exporting back."""

from __future__ import annotations

import base64
import json
import re
import shlex
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.curl import CurlError, export_curl, import_curl, is_curl
from explorer.core.request import DEFAULT_CONNECT_TIMEOUT, StreamRequest
from explorer.core.secrets import is_secret

BASE = StreamRequest(url="", mode="sse", chunk_size=7)
FORM = ("Content-Type", "application/x-www-form-urlencoded")

OPENAI = """curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}'
"""

ANTHROPIC = """curl https://api.anthropic.com/v1/messages \\
     --header "x-api-key: $ANTHROPIC_API_KEY" \\
     --header "anthropic-version: 2023-06-01" \\
     --header "content-type: application/json" \\
     --data \\
'{
    "model": "claude-sonnet-4-5",
    "max_tokens": 1024,
    "stream": true,
    "messages": [{"role": "user", "content": "Hello, world"}]
}'"""


def parts(request: StreamRequest) -> tuple[str, str, list[tuple[str, str]], bytes | None]:
    return request.method, request.url, request.headers, request.body


def imported(command: str) -> StreamRequest:
    return import_curl(command, BASE)


def refusal(command: str) -> str:
    with pytest.raises(CurlError) as caught:
        imported(command)
    return str(caught.value)


# -- what API docs print ------------------------------------------------------------------------


def test_openai_docs_command_keeps_the_key_as_a_reference() -> None:
    request = imported(OPENAI)
    assert request.method == "POST"
    assert request.url == "https://api.openai.com/v1/chat/completions"
    assert request.headers == [("Content-Type", "application/json"), ("Authorization", "Bearer ${OPENAI_API_KEY}")]
    assert request.body is not None and json.loads(request.body)["stream"] is True
    assert (request.mode, request.chunk_size) == ("sse", 7)  # the rest of base is kept


def test_anthropic_docs_command() -> None:
    request = imported(ANTHROPIC)
    assert request.method == "POST"
    assert request.headers == [("x-api-key", "${ANTHROPIC_API_KEY}"), ("anthropic-version", "2023-06-01"),
                               ("content-type", "application/json")]
    assert request.body is not None and json.loads(request.body)["max_tokens"] == 1024
    assert b"\n" in request.body  # the body's own newlines, inside quotes, are kept


@pytest.mark.parametrize("quote", ["'", '"'])
def test_a_braced_reference_stays_literally_in_either_quotes(quote: str) -> None:
    request = imported(f"curl https://h/x -H {quote}Authorization: Bearer ${{API_KEY}}{quote}")
    assert request.headers == [("Authorization", "Bearer ${API_KEY}")]


def test_bare_references_become_braced_in_url_header_values_and_body_but_not_names() -> None:
    request = imported("curl '$HOST/v1?k=$KEY' -H 'X-$A: $B-c' -d '{\"k\": \"$TOKEN\", \"price\": \"$5\"}'")
    assert request.url == "${HOST}/v1?k=${KEY}"
    assert request.headers[0] == ("X-$A", "${B}-c")
    assert request.body == b'{"k": "${TOKEN}", "price": "$5"}'


def test_file_contents_are_not_rewritten(tmp_path: Path) -> None:
    file = tmp_path / "body.json"
    file.write_bytes(b'{"$ref": "#/a"}')
    assert imported(f"curl https://h --data-binary @{file}").body == b'{"$ref": "#/a"}'


# -- options ------------------------------------------------------------------------------------


def test_options_in_any_order_give_the_same_request() -> None:
    words = ["-X", "PUT", "-H", "A: 1", "-d", "x=1", "-k", "https://h/p"]
    first = imported(shlex.join(["curl", *words]))
    last = imported(shlex.join(["curl", *words[6:], *words[2:6], *words[:2]]))
    assert parts(first) == parts(last) == ("PUT", "https://h/p", [("A", "1"), FORM], b"x=1")
    assert first.insecure and last.insecure


@pytest.mark.parametrize("option", ["-XPOST", "-X POST", "--request POST", "--request=POST", "-sSXPOST"])
def test_method_option_forms(option: str) -> None:
    assert imported(f"curl {option} https://h").method == "POST"


def test_method_is_inferred_as_curl_does() -> None:
    assert imported("curl https://h").method == "GET"
    assert imported("curl https://h -d a").method == "POST"
    assert imported("curl https://h -I").method == "HEAD"
    assert imported("curl https://h --head -X GET").method == "GET"  # -X wins
    assert imported("curl -X DELETE https://h -d a").method == "DELETE"


def test_several_data_parts_are_joined_with_ampersands_in_order() -> None:
    request = imported("curl https://h -d a=1 --data-raw @b --data=c=3 --data-binary 'd e' --data-ascii f")
    assert request.body == b"a=1&@b&c=3&d e&f"
    assert request.headers == [FORM]


def test_data_that_looks_like_an_option_is_still_data() -> None:
    assert imported("curl https://h -d -x -H '-y: z'").body == b"-x"


def test_data_files(tmp_path: Path) -> None:
    file = tmp_path / "data.txt"
    file.write_bytes(b"a=1\r\nb=2\n")
    assert imported(f"curl https://h -d @{file}").body == b"a=1b=2"  # -d drops CR and LF, as curl does
    assert imported(f"curl https://h --data-binary @{file}").body == b"a=1\r\nb=2\n"
    assert imported(f"curl https://h --data-raw @{file}").body == f"@{file}".encode()
    assert "Cannot read the file" in refusal(f"curl https://h -d @{tmp_path / 'missing'}")
    assert "standard input" in refusal("curl https://h -d @-")


def test_data_urlencode_forms(tmp_path: Path) -> None:
    file = tmp_path / "v.txt"
    file.write_text("a b&c")
    request = imported(f"curl https://h --data-urlencode 'q=a b/c' --data-urlencode '=x&y' "
                       f"--data-urlencode 'plain é' --data-urlencode f@{file} --data-urlencode 'k=${{SECRET}} 1'")
    assert request.body == b"q=a%20b%2Fc&x%26y&plain%20%C3%A9&f=a%20b%26c&k=${SECRET}%201"
    assert request.headers == [FORM]


def test_json_option() -> None:
    request = imported("curl https://h --json '{\"a\": 1}'")
    assert (request.method, request.body) == ("POST", b'{"a": 1}')
    assert request.headers == [("Content-Type", "application/json"), ("Accept", "application/json")]
    own = imported("curl https://h -H 'accept: text/event-stream' --json '[1,' --json '2]'")
    assert own.headers == [("accept", "text/event-stream"), ("Content-Type", "application/json")]
    assert own.body == b"[1,2]"  # --json parts are joined without '&', as curl does


def test_user_becomes_basic_authorization() -> None:
    request = imported("curl -u 'ali:se cret' https://h")
    assert request.headers == [("Authorization", "Basic " + base64.b64encode(b"ali:se cret").decode())]
    assert imported("curl -u a:b -H 'Authorization: Bearer ${T}' https://h").headers == \
        [("Authorization", "Bearer ${T}")]
    exported = export_curl(request)  # a reference, never the value, in double quotes: a shell fills it in
    assert "'Authorization: Basic '\"${AUTHORIZATION}\"" in exported and "YWxp" not in exported
    assert "password" in refusal("curl -u ali https://h")
    assert "reference" in refusal("curl -u '$USER:$PASS' https://h")


def test_get_puts_the_data_in_the_query() -> None:
    request = imported("curl -G https://h/s?x=1 -d q=a --data-urlencode 'w=b c'")
    assert parts(request) == ("GET", "https://h/s?x=1&q=a&w=b%20c", [], None)
    assert imported("curl --get https://h/s -d q=a").url == "https://h/s?q=a"


def test_head() -> None:
    assert parts(imported("curl -I https://h")) == ("HEAD", "https://h", [], None)
    assert "HEAD" in refusal("curl -I https://h -d a")


def test_url_option_and_schemes() -> None:
    assert imported("curl --url https://h/a -H 'A: b'").url == "https://h/a"
    assert imported("curl --url=https://h/b").url == "https://h/b"
    assert imported("curl example.com/x").url == "http://example.com/x"  # curl's guess
    assert imported("curl '/llm?tps=30'").url == "/llm?tps=30"  # explorer's demo paths
    assert imported("curl '${BASE}/v1'").url == "${BASE}/v1"
    assert imported("curl wss://h/ws").url == "wss://h/ws"


def test_continuation_lines_with_crlf_and_a_prompt() -> None:
    request = imported("  $ curl https://h \\\r\n  -H 'A: 1' \\\r\n  -d x\r\n")
    assert parts(request) == ("POST", "https://h", [("A", "1"), FORM], b"x")


def test_header_forms() -> None:
    request = imported("curl https://h -H 'X-Empty;' -H 'X-Pad:   v  ' -A 'bot $V' -e 'https://r/;auto' "
                       "-b a=1 -b cookies.txt -b 'c=2' -d x -H 'Content-Type:'")
    assert request.headers == [("X-Empty", ""), ("X-Pad", "v"), ("User-Agent", "bot ${V}"),
                               ("Referer", "https://r/"), ("Cookie", "a=1; c=2")]
    assert "Name: value" in refusal("curl https://h -H 'no colon'")
    assert "Name: value" in refusal("curl https://h -H ': v'")


def test_settings_options() -> None:
    request = import_curl("curl -k -m 30 --connect-timeout 2.5 --compressed https://h", StreamRequest("", raw=True))
    assert (request.insecure, request.max_time, request.connect_timeout, request.raw) == (True, 30.0, 2.5, False)
    unlimited = imported("curl -m 0 --connect-timeout 0 https://h")
    assert (unlimited.max_time, unlimited.connect_timeout) == (None, None)
    kept = import_curl("curl https://h", StreamRequest("", insecure=True, max_time=5.0, raw=True))
    assert (kept.insecure, kept.max_time, kept.raw) == (True, 5.0, True)
    assert "seconds" in refusal("curl -m soon https://h")
    assert "seconds" in refusal("curl --connect-timeout -1 https://h")


def test_options_that_only_change_what_curl_prints_are_ignored() -> None:
    plain = imported("curl https://h -H 'A: 1'")
    noisy = imported("curl -sS -N -v -i -f --fail-with-body -# --http1.1 -L --location -o out.json "
                     "--output=- -w '%{http_code}' --silent --show-error --no-buffer --verbose --include "
                     "--fail -sSL https://h -H 'A: 1'")
    assert parts(noisy) == parts(plain)
    assert not noisy.insecure


def test_no_body_is_none_and_text_is_utf8() -> None:
    assert imported("curl https://h").body is None
    assert imported("curl https://h -d ''").body == b""
    assert imported("curl https://h -d 'ünï ✓'").body == "ünï ✓".encode()


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "expected"), [
    ("curl --foo https://h", "explorer does not know curl's option --foo."),
    ("curl --foo=1 https://h", "explorer does not know curl's option --foo."),
    ("curl -sZ https://h", "explorer does not know curl's option -Z."),
    ("curl -Z https://h", "explorer does not know curl's option -Z."),
    ("curl -X POST", "The curl command has no URL."),
    ("curl", "The curl command has no URL."),
    ("curl https://a https://b", "The curl command has 2 URLs; explorer streams one at a time."),
    ("curl --url https://a https://b", "The curl command has 2 URLs; explorer streams one at a time."),
    ("curl https://h -H 'A: 1", "The curl command has a quote that is never closed."),
    ('curl https://h -d "x', "The curl command has a quote that is never closed."),
    ("curl https://h \\", "The curl command ends with a backslash that escapes nothing."),
    ("wget https://h", "This is not a curl command: it must start with the word curl."),
    ("curl https://h -H", "curl's option -H/--header needs a value."),
    ("curl --insecure=yes https://h", "curl's option -k/--insecure takes no value."),
])
def test_refusals_are_one_sentence(command: str, expected: str) -> None:
    assert refusal(command) == expected


def test_is_curl() -> None:
    for text in ("curl https://h", "  curl\thttps://h", "$ curl https://h", "\n $  curl -s x", "curl"):
        assert is_curl(text), text
    for text in ("curly https://h", "wget https://h", "", "$curl x", "https://h", "# curl x"):
        assert not is_curl(text), text


# -- export -------------------------------------------------------------------------------------


def test_export_writes_literal_credentials_as_references() -> None:
    request = StreamRequest("https://h", headers=[("Authorization", "Bearer sk-abc123456789"),
                                                   ("X-Api-Key", "k-1"), ("X-Token", "${MINE}"), ("A", "b c")])
    command = export_curl(request)
    assert shlex.split(command) == ["curl", "https://h", "-H", "Authorization: Bearer ${AUTHORIZATION}",
                                    "-H", "X-Api-Key: ${X_API_KEY}", "-H", "X-Token: ${MINE}", "-H", "A: b c"]
    assert "sk-abc" not in command


def test_export_method_only_when_curl_would_not_infer_it() -> None:
    def words(**fields: object) -> list[str]:
        return shlex.split(export_curl(StreamRequest("https://h", **fields)))  # type: ignore[arg-type]

    assert words() == ["curl", "https://h"]
    assert words(method="POST", body=b"x", headers=[FORM]) == ["curl", "https://h", "-H", f"{FORM[0]}: {FORM[1]}",
                                                                "--data-raw", "x"]
    assert words(method="PUT")[2:4] == ["-X", "PUT"]
    assert words(method="GET", body=b"x")[2:4] == ["-X", "GET"]
    assert words(method="POST")[2:4] == ["-X", "POST"]
    assert words(method="HEAD") == ["curl", "https://h", "-I"]


def test_export_settings_and_what_is_left_out() -> None:
    default = shlex.split(export_curl(StreamRequest("https://h", mode="sse", connect_timeout=DEFAULT_CONNECT_TIMEOUT)))
    assert default == ["curl", "https://h"]
    changed = shlex.split(export_curl(StreamRequest("https://h", insecure=True, max_time=2.5, connect_timeout=3)))
    assert changed == ["curl", "https://h", "-k", "--max-time", "2.5", "--connect-timeout", "3"]


def test_export_of_a_body_without_content_type_tells_curl_not_to_add_one() -> None:
    command = export_curl(StreamRequest("https://h", method="POST", body=b"{}"))
    assert shlex.split(command) == ["curl", "https://h", "-H", "Content-Type:", "--data-raw", "{}"]
    assert imported(command).headers == []


def test_export_of_a_binary_body_is_its_utf8_decoding_with_replacements() -> None:
    command = export_curl(StreamRequest("https://h", method="POST", body=b"a\xff\x00b", headers=[FORM]))
    assert shlex.split(command)[-1] == "a\ufffd\x00b"


def test_export_with_an_empty_header_value_and_a_backslash_before_a_newline() -> None:
    request = StreamRequest("https://h", method="POST", headers=[("X-E", ""), FORM], body=b"a\\\nb\\\r\nc\\")
    command = export_curl(request)
    assert "'X-E;'" in command
    assert parts(imported(command)) == parts(request)


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    OPENAI, ANTHROPIC, "curl -G https://h -d q=1", "curl -I https://h",
    "curl -u '${U}:' https://h -H 'Authorization: Basic ${C}'",  # the header wins over -u, as in curl
    "curl https://h --json '{\"a\": \"it'\"'\"'s\"}'", "curl -X PATCH '/x?a=1&b=2' -H 'X-E;' -d \"$BODY\"",
])
def test_round_trip_of_imported_commands(command: str) -> None:
    request = imported(command)
    again = import_curl(export_curl(request), BASE)
    assert parts(again) == parts(request)


TOKEN = string.ascii_letters + string.digits + "-_.!#*+^`|~'&%"
names = st.text(TOKEN, min_size=1, max_size=12)
values = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30).map(str.strip)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
odd = st.sampled_from(["'", '"', "$", "${X}", "$Y", "\\", "\n", "\\\n", " -d ", "@f", "é", "✓", "\r\n"])
bodies = st.none() | st.lists(odd | texts, max_size=6).map("".join).map(str.encode)
urls = st.sampled_from(["https://h/p", "/llm?tps=30", "${BASE}/v1", "https://h/q?a='1'&b=\"2\"#f", "ws://h"])
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "post"])
headers = st.lists(st.tuples(names, st.lists(odd | values, max_size=4).map("".join).map(str.strip)), max_size=5)


@settings(max_examples=300, deadline=None)
@given(urls, methods, headers, bodies)
def test_round_trip_is_stable_for_any_imported_request(url: str, method: str, headers: list[tuple[str, str]],
                                                       body: bytes | None) -> None:
    first = import_curl(export_curl(StreamRequest(url, method=method, headers=headers, body=body)), BASE)
    again = import_curl(export_curl(first), BASE)
    assert parts(again) == parts(first)


BARE = re.compile(r"\$(?=[A-Za-z_])")  # what import would brace


@settings(max_examples=300, deadline=None)
@given(urls, methods, headers, bodies)
def test_round_trip_is_exact_without_credentials_or_bare_references(
        url: str, method: str, headers: list[tuple[str, str]], body: bytes | None) -> None:
    headers = [(name, BARE.sub("%", value)) for name, value in headers if not is_secret(name)]
    body = None if body is None else BARE.sub("%", body.decode()).encode()
    request = StreamRequest(url, method=method, headers=headers, body=body)
    assert parts(import_curl(export_curl(request), BASE)) == parts(request)


def test_only_upper_case_shell_variables_become_references() -> None:
    """`$OPENAI_API_KEY` is a shell variable; JSON Schema's `$ref` and `$defs` are the body's own text."""
    body = '{"$ref": "#/$defs/a", "key": "$API_KEY", "mixed": "$Api"}'
    request = import_curl(f"curl https://x.test -H 'X-Token: $TOKEN' -d '{body}'", BASE)
    assert request.body == b'{"$ref": "#/$defs/a", "key": "${API_KEY}", "mixed": "$Api"}'
    assert ("X-Token", "${TOKEN}") in request.headers


def test_exported_references_are_filled_in_by_a_shell(tmp_path: Path) -> None:
    """Copy as curl gives a command a shell can run: `${NAME}` expands there and survives import."""
    import os
    import subprocess

    request = StreamRequest("https://x.test/v1?k=${QUERY_KEY}", method="POST", headers=[
        ("Authorization", "Bearer ${API_KEY}")], body=b'{"a": "it\'s ${IN_BODY} and \\n"}')
    command = export_curl(request)
    words = subprocess.run(["bash", "-c", command.replace("curl", "printf '%s\\0'", 1)], capture_output=True,
                           env={**os.environ, "API_KEY": "k1", "QUERY_KEY": "q2", "IN_BODY": "b3"},
                           check=True).stdout.decode().split("\0")
    assert words[:3] == ["https://x.test/v1?k=q2", "-H", "Authorization: Bearer k1"]
    assert '{"a": "it\'s b3 and \\n"}' in words
    back = import_curl(command, BASE)
    assert (back.url, back.headers, back.body) == (request.url, request.headers, request.body)
