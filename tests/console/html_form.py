"""A rendered form read as a browser reads it, and posted as a browser posts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

# Inputs whose value a browser does not post by itself.
_NOT_POSTED = {"submit", "button", "reset", "image", "file"}


@dataclass
class Control:
    tag: str
    type: str
    name: str
    value: str
    checked: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    options: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class Button:
    name: str
    value: str
    text: str


class RenderedForm(HTMLParser):
    """The controls, buttons, labels (by `for`) and texts (by element id) of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.controls: list[Control] = []
        self.buttons: list[Button] = []
        self.labels: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.ids: list[str] = []
        self._open: list[tuple[str, str]] = []  # (tag, id or for) of texts being read
        self._select: Control | None = None
        self._option: str | None = None
        self._textarea: Control | None = None
        self._button: Button | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind not in _NOT_POSTED and "name" in attrs:
                value = attrs.get("value", "on" if kind == "checkbox" else "")
                self.controls.append(
                    Control(tag, kind, attrs["name"], value, "checked" in attrs, attrs)
                )
        elif tag == "select":
            self._select = Control(tag, "select", attrs.get("name", ""), "", attrs=attrs)
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea":
            self._textarea = Control(tag, "textarea", attrs.get("name", ""), "", attrs=attrs)
            self.controls.append(self._textarea)
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self._button = Button(attrs.get("name", ""), attrs.get("value", ""), "")
            self.buttons.append(self._button)
        if tag == "label":
            self._open.append(("label", attrs.get("for", "")))
        elif tag in ("p", "span", "legend", "li") and "id" in attrs:
            self._open.append((tag, attrs["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button":
            self._button = None
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._button is not None:
            self._button.text += data
        for tag, key in self._open:
            texts = self.labels if tag == "label" else self.texts
            texts[key] = texts.get(key, "") + data

    def control(self, name: str) -> Control:
        (found,) = [c for c in self.controls if c.name == name]
        return found

    def names(self) -> list[str]:
        return [c.name for c in self.controls]

    def button(self, text: str, value: str = "") -> Button:
        (found,) = [b for b in self.buttons if text in b.text and (not value or b.value == value)]
        return found

    def posted(
        self, changes: dict[str, str | bool] | None = None, button: Button | None = None
    ) -> MultiDict[str, str]:
        """What the browser posts: each control's value (`changes` typed over them by
        name; a checkbox's change is whether it is ticked), and the button pressed."""
        changes = dict(changes or {})
        unknown = set(changes) - set(self.names())
        assert not unknown, f"no such inputs: {unknown}"
        pairs: list[tuple[str, str]] = []
        for c in self.controls:
            if c.type == "checkbox":
                if changes.get(c.name, c.checked):
                    pairs.append((c.name, c.value))
            elif c.type == "select":
                chosen = [v for v, selected in c.options if selected] or [c.options[0][0]]
                pairs.append((c.name, str(changes.get(c.name, chosen[0]))))
            else:
                pairs.append((c.name, str(changes.get(c.name, c.value))))
        if button is not None and button.name:
            pairs.append((button.name, button.value))
        return MultiDict(pairs)
