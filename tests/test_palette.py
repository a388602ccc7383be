"""The command palette offers the commands of the screen it is opened on: the main screen's or the comparison's."""

from __future__ import annotations

from explorer.core import StreamRequest
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.compare import CompareScreen

from .apps import SIZE, until


async def test_the_palette_offers_the_comparisons_commands_on_compare(demo_url: str) -> None:
    pair = (Options(StreamRequest(demo_url + "/chunks?count=3", mode="lines")),
            Options(StreamRequest(demo_url + "/chunks?count=4", mode="lines")))
    app = ExplorerApp(compare=pair)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Save both sides" in titles and "Restart both" in titles and "Quit" in titles
        assert "Start stream" not in titles  # the main screen's commands would act on the screen behind
        main = [command.title for command in app.get_system_commands(app.main)]
        assert "Start stream" in main and "Save both sides" not in main
        await pilot.press("escape")
