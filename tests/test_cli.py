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
