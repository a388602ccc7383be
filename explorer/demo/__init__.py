"""The embedded aiohttp demo server: streaming tutorial examples as live endpoints.

Never imports Textual. The names below load on first use (PEP 562): the
server's modules (aiohttp.web) load when a demo server is made, not when the
package is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.lazy import lazy_exports

if TYPE_CHECKING:
    from .catalog import CATALOG, Endpoint, catalog_entries
    from .runner import BackgroundDemoServer, DemoServer

__all__ = ["CATALOG", "BackgroundDemoServer", "DemoServer", "Endpoint", "catalog_entries"]

_HOMES = {"CATALOG": "catalog", "Endpoint": "catalog", "catalog_entries": "catalog",
          "BackgroundDemoServer": "runner", "DemoServer": "runner"}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
