"""Saving records as JSONL where the person says: the save dialog and the writing.

The dialog asks for a path (a timestamped name in the current directory by
default), says where that is, asks before replacing a file, and keeps
itself open with the reason when the file cannot be written. What is
written is the `explorer get --format jsonl` contract, one file per stream:
a comparison writes `NAME-a.jsonl` and `NAME-b.jsonl`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..core import Record
from ..core.format import plural
from ..core.jsonl import jsonl_lines
from ..core.sanitize import sanitize


def shown_path(path: str | Path) -> str:
    """A file name as it may be shown: one a person or a directory chose can hold escape sequences too."""
    return sanitize(str(path), 300)


def default_name(prefix: str = "explorer") -> str:
    """`explorer-20261121-193000.jsonl`: the local time now, to the second."""
    return time.strftime(f"{prefix}-%Y%m%d-%H%M%S.jsonl")


def write_jsonl(path: Path, records: Iterable[Record]) -> int:
    """Write `records` to `path` as JSONL (replacing it); how many records were written. Raises OSError."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write("\n".join(jsonl_lines(record)) + "\n")
            written += 1
    return written


def side_paths(path: Path) -> tuple[Path, Path]:
    """The two files of a comparison saved as `path`: `run.jsonl` gives `run-a.jsonl` and `run-b.jsonl`."""
    suffix = path.suffix or ".jsonl"
    return path.with_name(f"{path.stem}-a{suffix}"), path.with_name(f"{path.stem}-b{suffix}")


def saved_sentence(count: int, path: Path) -> str:
    """`Saved 1 record to run.jsonl`, the file name sanitized."""
    return f"Saved {plural(count, 'record')} to {shown_path(path)}"


Save = Callable[[Path], str]
"""Writes the records to a path and returns the sentence that says so; raises OSError."""
Targets = Callable[[Path], list[Path]]
"""The files a save to a path writes (one, or a comparison's two)."""


class SaveScreen(ModalScreen[Path | None]):
    """Ask where to save; dismissed with the path saved to, or None when cancelled."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    SaveScreen { align: center middle; }
    SaveScreen > Vertical { width: 80; max-width: 100%; height: auto; border: round $accent; padding: 0 1;
                            background: $surface; }
    SaveScreen #where { color: $text-muted; height: auto; }
    SaveScreen #problem { color: $error; height: auto; }
    SaveScreen Horizontal { height: auto; align-horizontal: right; }
    """

    def __init__(self, title: str, save: Save, *, default: str | None = None,
                 targets: Targets = lambda path: [path]) -> None:
        super().__init__()
        self.heading = title
        self.save = save
        self.default = default or default_name()
        self.targets = targets
        self._replacing: list[Path] = []  # files the person was told exist: a second Save replaces them

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.heading
            yield Label("Save as (JSONL, a path relative to the current directory or absolute):")
            yield Input(self.default, id="path")
            yield Static(id="where")
            yield Static(id="problem")
            with Horizontal():
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._show_where()

    @property
    def path(self) -> Path:
        """The path typed, made absolute from the current directory."""
        return Path.cwd() / Path(self.query_one("#path", Input).value.strip()).expanduser()

    @on(Input.Changed, "#path")
    def _show_where(self) -> None:
        self._replacing = []
        self.query_one("#problem", Static).update("")
        self.query_one("#save", Button).label = "Save"
        files = self.targets(self.path)
        self.query_one("#where", Static).update(Text("writes " + " and ".join(shown_path(f) for f in files)))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#save")
    def submit(self) -> None:
        problem = self.query_one("#problem", Static)
        if not self.query_one("#path", Input).value.strip():
            problem.update(Text("Type a file name."))
            return
        path = self.path
        try:
            existing = [f for f in self.targets(path) if f.exists()]
        except (OSError, ValueError) as error:  # a NUL in the name, a name too long
            problem.update(Text(f"Not a usable file name: {shown_path(str(error))}."))
            return
        folders = [f for f in existing if f.is_dir()]
        if folders:
            problem.update(Text(f"{shown_path(folders[0])} is a directory."))
            return
        if existing and existing != self._replacing:
            self._replacing = existing
            names = " and ".join(shown_path(f.name) for f in existing)
            problem.update(Text(f"{names} already {'exists' if len(existing) == 1 else 'exist'}: "
                                "Save again to replace, or type another name."))
            self.query_one("#save", Button).label = "Replace"
            return
        try:
            sentence = self.save(path)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            problem.update(Text(f"Could not save: {shown_path(reason)}."))
            return
        self.app.notify(sentence, title="Saved", markup=False)
        self.dismiss(path)
