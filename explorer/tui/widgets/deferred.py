"""`Deferred`: the place of a widget the first frame does not show, filled once that frame is on screen.

Before its first frame Textual styles every widget twice (as it mounts, then
as the screen first shows), each at about a millisecond here, and each widget
class it meets adds DEFAULT_CSS rules that every widget is then checked
against: with the main screen's 80 widgets, that was most of the time from
the app's imports to its first frame. The tabs not selected need none of it
for that frame. (The demo panel, hidden too without --demo, builds its
content the first time it shows instead: see its `reveal`.)

Unlike textual.lazy.Lazy, which mounts by itself after a refresh, these
mount when the screen calls `mount_deferred`, so the screen orders what
comes after. Until then the widget exists but is not mounted: the screen
holds it and it keeps what it is shown for when it composes.
"""

from __future__ import annotations

from textual.widget import Widget


class Deferred(Widget):
    """Stands, unseen, where `widget` goes."""

    DEFAULT_CSS = "Deferred { display: none; }"

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget


async def mount_deferred(root: Widget) -> None:
    """Mount every deferred widget under `root` in its place (none once the app is closing)."""
    for place in list(root.query(Deferred)):
        parent = place.parent
        if not isinstance(parent, Widget) or not parent.is_attached:
            return  # the app is closing (a quit or a signal right after the first frame): nothing to show
        await parent.mount(place.widget, after=place)
        await place.remove()
