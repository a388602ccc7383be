"""`explorer get` with what real APIs require: a curl command from the docs, `${NAME}` secrets, masking, `-v`.

The server is uvicorn serving Starlette, shaped like a chat-completions
API: it answers 400 naming what was wrong unless it got POST, the bearer
key, a JSON content type and a JSON body with `"stream": true`, and it sets
a cookie. The key and the cookie must show nowhere: not on stdout, not on
stderr, not in the `-o` file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from explorer.cli import main

from .servers import ChildServer
from .servers.apps import CHAT_COOKIE, CHAT_KEY, CHAT_TOKENS

# As a provider's docs print it: the key in an environment variable, the body in single quotes.
DOCS_CURL = """curl {url} \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $API_KEY" \\
  -d '{{"model": "demo-1", "stream": true, "messages": [{{"role": "user", "content": "Hi"}}]}}'
"""


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert CHAT_KEY not in text and CHAT_COOKIE not in text
        assert CHAT_KEY[-12:] not in text  # not even the key's middle


def sse_data(out: str) -> list[str]:
    return [json.loads(line)["data"] for line in out.splitlines() if json.loads(line)["kind"] == "sse"]


def test_get_curl_sends_what_the_docs_say_and_shows_no_secret(
        chat_server: ChildServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv("API_KEY", CHAT_KEY)
    capture = tmp_path / "run.jsonl"
    command = DOCS_CURL.format(url=chat_server.url("/v1/chat/completions"))
    status = main(["get", "--curl", command, "-v", "--format", "jsonl", "-o", str(capture)])
    out, err = capsys.readouterr()
    assert status == 0, err
    tokens = [json.loads(data)["choices"][0]["delta"]["content"] for data in sse_data(out) if data != "[DONE]"]
    assert tokens == CHAT_TOKENS  # the server checked method, key, content type and body before streaming
    assert "> POST /v1/chat/completions HTTP/1.1" in err
    assert "> Authorization: Bearer sk-…f3a9 (masked)" in err
    assert re.search(r"(?im)^< set-cookie: ses…\w{4} \(masked\)$", err)
    response = json.loads(out.splitlines()[0])
    assert response["kind"] == "response" and ["Authorization", "Bearer sk-…f3a9 (masked)"] in \
        response["request"]["headers"]
    assert_no_secret(out, err, capture.read_text())


def test_show_secrets_reveals_them(chat_server: ChildServer, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", CHAT_KEY)
    command = DOCS_CURL.format(url=chat_server.url("/v1/chat/completions"))
    assert main(["get", "--curl", command, "-v", "--show-secrets", "--format", "jsonl"]) == 0
    err = capsys.readouterr().err
    assert f"> Authorization: Bearer {CHAT_KEY}" in err and CHAT_COOKIE in err


def test_the_key_can_come_from_an_env_file(chat_server: ChildServer, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("API_KEY", raising=False)
    env = tmp_path / ".env"
    env.write_text(f"# the chat key\nAPI_KEY='{CHAT_KEY}'\n")
    command = DOCS_CURL.format(url=chat_server.url("/v1/chat/completions"))
    assert main(["get", "--curl", command, "--env-file", str(env), "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert "[DONE]" in sse_data(out)
    assert_no_secret(out, err)


def test_an_unknown_name_stops_before_anything_is_sent(chat_server: ChildServer,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("API_KEY", raising=False)
    command = DOCS_CURL.format(url=chat_server.url("/v1/chat/completions"))
    assert main(["get", "--curl", command, "--format", "jsonl"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "${API_KEY}" in err and "not set" in err and "Nothing was sent" in err


def test_a_wrong_key_is_the_servers_answer_not_a_leak(chat_server: ChildServer,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sk-wrong-0123456789abcdef"
    monkeypatch.setenv("API_KEY", wrong)
    command = DOCS_CURL.format(url=chat_server.url("/v1/chat/completions"))
    assert main(["get", "--curl", command, "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    assert "wrong authorization" in out and "HTTP 400" in err
    assert wrong not in out + err
