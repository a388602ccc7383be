"""core/ and demo/ must work without the TUI: no Textual imports, even indirectly."""

from __future__ import annotations

import subprocess
import sys


def test_core_and_demo_do_not_import_textual() -> None:
    code = (
        "import sys, explorer.core, explorer.demo, explorer.get, explorer.serve\n"
        "import explorer.core.modes, explorer.demo.app\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
