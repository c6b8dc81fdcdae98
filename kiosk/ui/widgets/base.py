"""Basic building blocks: big buttons, labels that know whether they show data or catalog text, fields."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label


class Text(Label):
    """A label showing translated text (every string shown must come from the catalog)."""

    is_data = False


class DataText(Label):
    """A label showing data (names, numbers, dates, codes) that is not translated."""

    is_data = True


class BigButton(ButtonBehavior, Label):
    """A touch target of at least 15 mm with large text. ``style``: primary, secondary, ok, danger, key."""

    style = OptionProperty("primary", options=["primary", "secondary", "ok", "danger", "key", "ghost"])
    hidden = BooleanProperty(False)  # invisible and untouchable
    key_role = StringProperty("")  # enter / back / space on keypads (found by the test harness)
    is_data = False
    bg = ColorProperty([0, 0, 0, 0])
    fill = ColorProperty([0, 0, 0, 0])  # bg, darker while pressed
    fg = ColorProperty([0, 0, 0, 1])
    radius = NumericProperty(12)


    def on_touch_down(self, touch):
        if self.hidden:
            return False
        return super().on_touch_down(touch)


class DataButton(BigButton):
    """A big button whose caption is data (a key's character, an inmate's name)."""

    is_data = True


class Field(ButtonBehavior, BoxLayout):
    """A read-only input box filled by the on-screen keypad/keyboard; tap to give it focus."""

    caption = StringProperty("")
    value = StringProperty("")
    placeholder = StringProperty("")
    help = StringProperty("")
    error = BooleanProperty(False)
    focused = BooleanProperty(False)
    max_len = NumericProperty(64)
    mask = BooleanProperty(False)
    box_scale = NumericProperty(1.3)  # the input box's height in touch targets (1.0 on crowded screens)

    def shown(self) -> str:
        return "\u2022" * len(self.value) if self.mask else self.value

    def type_char(self, ch: str) -> None:
        if len(self.value) < self.max_len:
            self.value += ch

    def backspace(self) -> None:
        self.value = self.value[:-1]


def add_detail_row(box, label: str, value: str, *, color=None, label_kw: dict | None = None,
                   value_kw: dict | None = None) -> None:
    """A label/value row in a two-column grid, the label at the top of its row when the value wraps
    (a grid cell otherwise sits at the bottom of a taller row)."""
    from kivy.uix.anchorlayout import AnchorLayout

    label_kw = dict(label_kw or {})
    cell = AnchorLayout(anchor_y="top", size_hint_y=None)
    if "size_hint_x" in label_kw:
        cell.size_hint_x, cell.width = label_kw["size_hint_x"], label_kw.get("width", 100)
    lbl = Text(text=label, bold=True, **label_kw)
    val = DataText(text=value, **(value_kw or {}))
    if color is not None:  # after the class rule (which sets the theme's text colour)
        lbl.color = val.color = color
    cell.add_widget(lbl)

    def fit(*_a) -> None:
        cell.height = max(val.height, lbl.height)

    val.bind(height=fit)
    lbl.bind(height=fit)
    fit()
    box.add_widget(cell)
    box.add_widget(val)
