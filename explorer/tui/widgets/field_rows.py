"""Name/value rows that can be added, removed and switched off: query parameters and headers.

A value whose name marks a credential (secrets.is_literal_credential) is typed into a
password field, unless it is a `${NAME}` reference, which is no secret.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label

from ...core.secrets import is_literal_credential

Field = tuple[str, str, bool]  # name, value, enabled


class FieldRow(Horizontal):
    """One name and value, a switch and a remove button."""

    DEFAULT_CSS = """
    FieldRow { height: 1; margin-bottom: 1; }
    FieldRow Checkbox { width: 5; padding: 0 1 0 0; }
    FieldRow .name { width: 1fr; max-width: 30; margin-right: 1; }
    FieldRow .value { width: 2fr; margin-right: 1; }
    FieldRow Button { min-width: 3; width: 3; }
    """

    def __init__(self, name: str = "", value: str = "", enabled: bool = True) -> None:
        super().__init__()
        self.initial: Field = (name, value, enabled)

    def compose(self) -> ComposeResult:
        name, value, enabled = self.initial
        yield Checkbox(value=enabled, compact=True, tooltip="send this one (off: kept here, not sent)")
        yield Input(name, placeholder="name", compact=True, classes="name", select_on_focus=False)
        yield Input(value, placeholder="value", compact=True, classes="value", select_on_focus=False,
                    password=_hidden(name, value))
        yield Button("✕", compact=True, tooltip="remove", classes="remove")

    @property
    def field(self) -> Field:
        name = self.query_one(".name", Input).value.strip()
        return name, self.query_one(".value", Input).value, self.query_one(Checkbox).value

    @on(Input.Changed)
    def _hide_secret(self, event: Input.Changed) -> None:
        event.stop()
        name, value, _ = self.field
        self.query_one(".value", Input).password = _hidden(name, value)

    @on(Button.Pressed, ".remove")
    async def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        await self.remove()


def _hidden(name: str, value: str) -> bool:
    return is_literal_credential(name, value)


class FieldRows(Vertical):
    """A titled list of `FieldRow`s with an add button."""

    DEFAULT_CSS = """
    FieldRows { height: auto; }
    FieldRows > .title-row { height: 1; margin-bottom: 1; }
    FieldRows > .title-row Label { width: 1fr; text-style: bold; }
    """

    def __init__(self, title: str, fields: list[Field], *, id: str) -> None:
        super().__init__(id=id)
        self.title, self.initial = title, fields

    def compose(self) -> ComposeResult:
        with Horizontal(classes="title-row"):
            yield Label(self.title)
            yield Button("+ add", compact=True, classes="add", tooltip=f"add a row to {self.title.lower()}")
        for field in self.initial:
            yield FieldRow(*field)

    @property
    def fields(self) -> list[Field]:
        """The rows with a name, in order."""
        return [row.field for row in self.query(FieldRow) if row.field[0]]

    @on(Button.Pressed, ".add")
    async def add_row(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        row = FieldRow()
        await self.mount(row)
        row.query_one(".name", Input).focus()
