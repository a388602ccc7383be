"""Start-up stays light: what each face imports, checked in a fresh interpreter (no timings).

`--help` and `--version` load no network library, the light core modules load
none either, and the app's process loads neither the engine's libraries (the
engine runs in its own process) nor the demo server's modules until a demo
starts, not even once it runs. The parts of the main screen that start hidden
mount after its first frame, with what they were given before. bench/startup.py
measures the time; this keeps the imports from creeping back unseen.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button, Static

from explorer.core import Kind, Record
from explorer.core.modes import AUTO_PICKS, REGISTRY
from explorer.core.modes.auto import JSON_TYPES, mode_for_content_type
from explorer.core.record import Response
from explorer.tui.widgets.deferred import Deferred, mount_deferred
from explorer.tui.widgets.demo_panel import DemoPanel
from explorer.tui.widgets.headers_view import HeadersView

NETWORK = ("aiohttp", "websockets", "ijson", "h11", "yarl", "multidict")
MARK = "modules loaded: "

def loaded(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (which may exit through SystemExit)."""
    wrapped = ("import json, sys\ntry:\n" + "".join(f"    {line}\n" for line in code.splitlines())
               + f"except SystemExit:\n    pass\nprint({MARK!r} + json.dumps(sorted(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, check=True)
    last = result.stdout.rstrip("\n").rsplit("\n", 1)[-1]
    assert last.startswith(MARK), result.stdout[-2000:] + result.stderr[-2000:]
    return set(json.loads(last[len(MARK):]))


def network(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in NETWORK)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["-V"], ["serve", "--help"]])
def test_help_and_version_load_no_network_library(argv: list[str]) -> None:
    modules = loaded(f"from explorer import cli\ncli.main({argv!r})")
    assert network(modules) == []
    assert "explorer.core.stream" not in modules and "explorer.tui.app" not in modules


def test_get_help_loads_no_network_library() -> None:
    assert network(loaded("from explorer import cli\ncli.main(['get', '--help'])")) == []


@pytest.mark.parametrize("module", ["explorer.core", "explorer.core.request", "explorer.core.timing",
                                    "explorer.core.record", "explorer.core.format", "explorer.core.rows",
                                    "explorer.core.jsonl", "explorer.core.errors", "explorer.core.modes",
                                    "explorer.options", "explorer.engine", "explorer.engine.process",
                                    "explorer.demo", "explorer.tui.run", "explorer.serve"])
def test_light_modules_load_no_network_library(module: str) -> None:
    assert network(loaded(f"import {module}")) == []


def test_the_engine_loads_only_the_libraries_a_stream_needs() -> None:
    """An HTTP stream in auto mode needs aiohttp and ijson (json may be picked), never websockets or h11."""
    modules = loaded("from explorer.core import open_stream, StreamRequest\n"
                     "from explorer.core.modes import preload\n"
                     "StreamRequest('http://127.0.0.1:1/').is_websocket\n"
                     "preload('auto')")
    assert "ijson" in modules and "websockets" not in modules


def test_describing_a_failure_loads_no_library() -> None:
    """An error of a library not loaded cannot be one of its classes: `describe` does not import it to check."""
    modules = loaded("from explorer.core.errors import describe\n"
                     "assert describe(ConnectionResetError(), idle_timeout=None, connect_timeout=None,"
                     " received=False)[0] == 'reset'")
    assert network(modules) == []


def test_the_app_loads_the_demo_server_only_when_a_demo_starts() -> None:
    modules = loaded("from explorer.tui.app import ExplorerApp\nExplorerApp()")
    assert "explorer.demo.runner" not in modules and "explorer.demo.app" not in modules


def test_the_app_module_loads_no_demo_server_module() -> None:
    assert "aiohttp.web" not in loaded("import explorer.tui.app")


def test_the_app_module_loads_no_network_library() -> None:
    """The UI's process draws; the engine process (its own interpreter) reads the streams."""
    assert network(loaded("from explorer.tui.app import ExplorerApp\nExplorerApp()")) == []


def test_the_running_app_loads_no_network_library() -> None:
    """Drawn, its hidden parts mounted and its engine process started: still none in the UI's process."""
    modules = loaded("import asyncio\n"
                     "from explorer.tui.app import ExplorerApp\n"
                     "async def run():\n"
                     "    app = ExplorerApp()\n"
                     "    async with app.run_test() as pilot:\n"
                     "        for _ in range(200):\n"
                     "            if not app.main.query('Deferred') and app.main.session.engine.pid:\n"
                     "                break\n"
                     "            await pilot.pause(0.05)\n"
                     "        assert app.main.query_one('#timeline') and not app.main.query('Deferred')\n"
                     "asyncio.run(run())")
    assert network(modules) == [] and "aiohttp.web" not in modules
    assert "textual.widgets._rich_log" not in modules  # the demo panel's log (rich.pretty, attrs): once it shows


async def test_a_deferred_view_shows_what_it_was_given_before_it_mounted() -> None:
    """The screen may show a response in a tab not mounted yet: the tab composes with it."""
    view = HeadersView()
    view.show(Record(Kind.RESPONSE, 0, 0.0, 0.0, 0, None,
                     Response(200, "OK", "1.1", {"X-Shown": "before"}, "http://127.0.0.1:1/", "any", 0.0)))

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Deferred(view)

    app = Host()
    async with app.run_test() as pilot:
        assert not view.is_attached
        await mount_deferred(app.screen)
        await pilot.pause()
        assert not app.screen.query(Deferred)
        assert "X-Shown: before" in str(view.query_one("#headers-text", Static).render())


async def test_the_demo_panel_built_late_shows_what_it_was_told() -> None:
    """Hidden from the start, the panel is built when it first shows, with the server and events it heard of."""
    panel = DemoPanel(shown=False)

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield panel

    app = Host()
    async with app.run_test(size=(60, 30)) as pilot:
        assert not panel.children
        panel.show_server("http://127.0.0.1:1")
        panel.log_event({"path": "/hello", "outcome": "completed", "chunks": 2, "seconds": 0.5, "time": 0})
        panel.reveal()
        await pilot.pause()
        assert panel.display and str(panel.query_one("#server-toggle", Button).label) == "Stop demo server"
        assert "http://127.0.0.1:1" in str(panel.query_one("#server-address", Static).render())
        assert "/hello completed 2 chunks" in "\n".join(line.text for line in panel.query_one("#server-log").lines)


def test_lazy_package_names_resolve() -> None:
    """`from explorer.core import X` (and demo, engine) works for every name the packages list."""
    import explorer.core
    import explorer.demo
    import explorer.engine

    for package in (explorer.core, explorer.demo, explorer.engine):
        for name in package.__all__:
            assert getattr(package, name) is not None
        assert set(package.__all__) <= set(dir(package))
        with pytest.raises(AttributeError):
            package.no_such_name  # noqa: B018


def test_auto_preloads_every_mode_it_can_pick() -> None:
    """preload('auto') loads the readers of AUTO_PICKS: every mode auto resolves to must be among them."""
    types = ["text/event-stream", "text/plain", "application/octet-stream", "", "application/vnd.api+json",
             *JSON_TYPES]
    assert {mode_for_content_type(content_type) for content_type in types} <= set(AUTO_PICKS)
    assert all(name in REGISTRY and not REGISTRY[name].websocket for name in AUTO_PICKS)
