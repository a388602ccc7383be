"""The embedded aiohttp demo server: streaming tutorial examples as live endpoints.

Never imports Textual.
"""

from .catalog import CATALOG, Endpoint, catalog_entries
from .runner import BackgroundDemoServer, DemoServer

__all__ = ["CATALOG", "BackgroundDemoServer", "DemoServer", "Endpoint", "catalog_entries"]
