"""Servers the project did not write, started by the tests on free ports.

- `child.ChildServer`: uvicorn/Starlette (GZipMiddleware, sse-starlette),
  Flask under werkzeug, and the websockets server, each in its own process
  (`apps.py` says what each one sends).
- `raw.ScriptServer`: exact bytes from an asyncio server in a thread, for
  what frameworks will not send (`raw.RAW_ROUTES`).
"""

from .child import ChildServer
from .raw import ScriptServer

__all__ = ["ChildServer", "ScriptServer"]
