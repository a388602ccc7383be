"""Writing records as JSONL: one object per line, flushed per line so a killed run loses nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from .record import Record, to_json_objects


def jsonl_lines(record: Record) -> list[str]:
    """The JSONL lines for one record (an ijson batch is one line per event)."""
    return [json.dumps(obj, ensure_ascii=False) for obj in to_json_objects(record)]


class JsonlRecorder:
    """Appends records to a file, line-buffered: a kill leaves at most a cut last line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._out: IO[str] = open(self.path, "a", encoding="utf-8", buffering=1)

    def write(self, record: Record) -> None:
        self._out.write("\n".join(jsonl_lines(record)) + "\n")

    def close(self) -> None:
        self._out.close()
