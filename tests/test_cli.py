"""Command-line entry points that do not need a terminal."""

from __future__ import annotations

import subprocess
import sys

import pytest

from explorer.cli import main


def test_app_usage_errors_exit_2_before_opening(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notaurl"]) == 2
    assert "Not a usable URL" in capsys.readouterr().err
    assert main(["http://x/", "--chunk-size", "0"]) == 2


def test_python_dash_m_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "explorer", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("explorer ")
    helptext = subprocess.run([sys.executable, "-m", "explorer", "get", "--help"], capture_output=True, text=True)
    assert "--idle-timeout" in helptext.stdout and helptext.returncode == 0


def test_compare_takes_each_provider_from_its_own_curl_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from explorer.tui import compare_cli

    monkeypatch.setenv("OPENAI_API_KEY", "sk-one-1234567890")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-two-1234567890")
    parser = argparse.ArgumentParser()
    compare_cli.add_arguments(parser)
    args = parser.parse_args([
        "--curl", "curl https://api.openai.com/v1/chat/completions -H 'Authorization: Bearer $OPENAI_API_KEY' "
                  "-d '{\"model\": \"a\", \"stream\": true}'",
        "--curl-b", "curl https://api.anthropic.com/v1/messages -H 'x-api-key: $ANTHROPIC_API_KEY' "
                    "-d '{\"model\": \"b\", \"stream\": true}'"])
    a, b = compare_cli.sides(args)
    assert (a.request.url, b.request.url) == ("https://api.openai.com/v1/chat/completions",
                                              "https://api.anthropic.com/v1/messages")
    assert a.request.method == b.request.method == "POST"
    assert ("Authorization", "Bearer ${OPENAI_API_KEY}") in a.request.headers  # expanded only as it is sent
    assert a.request.secrets == {"OPENAI_API_KEY": "sk-one-1234567890"}
    assert ("x-api-key", "${ANTHROPIC_API_KEY}") in b.request.headers
    assert b.request.secrets == {"ANTHROPIC_API_KEY": "sk-two-1234567890"}
    assert b.request.body == b'{"model": "b", "stream": true}'
    with pytest.raises(compare_cli.UsageError):
        compare_cli.sides(parser.parse_args(["--curl", "curl https://a.example/"]))
