"""Basic building blocks: big buttons, labels that know whether they show data or catalog text, fields."""

from __future__ import annotations

from weakref import WeakSet

from kivy.clock import Clock
from kivy.graphics import Color, InstructionGroup, RoundedRectangle
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.ui.theme import PALETTES, theme
from kiosk.ui.widgets.lean import TightText


class Text(TightText, Label):
    """A label showing translated text (every string shown must come from the catalog)."""

    is_data = False


class DataText(TightText, Label):
    """A label showing data (names, numbers, dates, codes) that is not translated."""

    is_data = True


BORDERED = ("secondary", "ghost")
# style -> (theme colour of the face, theme colour of the text)
STYLES = {"primary": ("primary", "primary_fg"), "secondary": ("surface", "primary"), "ok": ("ok", "ok_fg"),
          "danger": ("danger", "danger_fg"), "key": ("key", "key_fg"), "ghost": ("bar", "bar_fg")}
_buttons: WeakSet = WeakSet()  # restyled when the theme's colours change (high contrast at run time)


def _restyle_all(*_a) -> None:
    for button in list(_buttons):
        button.restyle()


_restyle_soon = Clock.create_trigger(_restyle_all)
for _name in PALETTES["normal"]:
    theme.fbind(_name, _restyle_soon)


class BigButton(TightText, ButtonBehavior, Label):
    """A touch target of at least 15 mm with large text. ``style``: primary, secondary, ok, danger, key, ghost.

    Its face is drawn here in Python rather than by kv expressions: a button's kv rule with its colours and two
    rounded rectangles cost ~45 KB of bindings per button (there are ~130 across the screens). Secondary and ghost
    buttons have a border, a rounded rectangle in the border colour under the face (a wide ``Line`` costs ~4x a
    rectangle's memory once drawn); the other styles' border would be the face's own colour, so while enabled they
    draw only the face (one vertex buffer fewer per key)."""

    style = OptionProperty("primary", options=list(STYLES))
    hidden = BooleanProperty(False)  # invisible and untouchable
    key_role = StringProperty("")  # enter / back / space on keypads (found by the test harness)
    is_data = False
    bg = ColorProperty([0, 0, 0, 0])
    fill = ColorProperty([0, 0, 0, 0])  # bg, darker while pressed
    fg = ColorProperty([0, 0, 0, 1])
    radius = NumericProperty(12)

    def __init__(self, **kw):
        self._border_color = Color()
        self._border = RoundedRectangle()
        self._border_group = InstructionGroup()  # holds the two above while the style has a border
        self._fill_color = Color()
        self._face = RoundedRectangle()
        super().__init__(**kw)
        self.canvas.before.add(self._border_group)
        self.canvas.before.add(self._fill_color)
        self.canvas.before.add(self._face)
        for name in ("style", "state", "disabled", "hidden"):
            self.fbind(name, self.restyle)
        for name in ("pos", "size", "radius"):
            self.fbind(name, self._shape)
        _buttons.add(self)
        self.restyle()

    @property
    def bordered(self) -> bool:
        """Secondary and ghost buttons show a border. A disabled button is see-through (opacity 0.55), so it
        draws the border too, in the face's colour: its face then looks as it always has (two layers)."""
        return self.style in BORDERED or (self.disabled and not self.hidden)

    @property
    def inset(self) -> int:
        """The border's width: 2 with a border, else 0 (the face covers it all)."""
        return 2 if self.bordered else 0

    def restyle(self, *_a) -> None:
        face, text = STYLES[self.style]
        self.bg = getattr(theme, face)
        self.fill = self.bg if self.state == "normal" else [c * 0.8 for c in self.bg[:3]] + [1]
        self.fg = self.color = getattr(theme, text)
        self.disabled_color = theme.muted
        self.opacity = 0 if self.hidden else (0.55 if self.disabled else 1)
        self._fill_color.rgba = self.fill
        self._border_color.rgba = {"secondary": theme.primary, "ghost": self.fg}.get(self.style, self.fill)
        group = self._border_group
        if self.bordered and not group.children:
            group.add(self._border_color)
            group.add(self._border)
        elif not self.bordered and group.children:
            group.clear()
        self._shape()

    def _shape(self, *_a) -> None:
        inset = self.inset
        self._border.pos, self._border.size, self._border.radius = self.pos, self.size, [self.radius]
        self._face.pos = (self.x + inset, self.y + inset)
        self._face.size = (self.width - 2 * inset, self.height - 2 * inset)
        self._face.radius = [max(0, self.radius - inset)]

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


def reuse_buttons(box, count: int, cls: type, on_release) -> list:
    """``count`` buttons of ``cls`` shown in ``box``, in order, made once and kept on the box: the screens that
    list choices (relationships, days, sessions) fill them again for every visitor, and new buttons each time
    cost time and memory (freed objects fragment the heap). ``on_release(button)`` is bound once per button; the
    caller sets each button's text, style, ``disabled`` and ``value`` (what it stands for) every time."""
    pool = box.__dict__.setdefault("_button_pool", [])
    while len(pool) < count:
        button = cls()
        button.bind(on_release=on_release)
        pool.append(button)
    wanted = pool[:count]
    if list(reversed(box.children)) != wanted:
        box.clear_widgets()
        for button in wanted:
            box.add_widget(button)
    return wanted


def add_detail_row(box, label: str, value: str, *, color=None, label_kw: dict | None = None,
                   value_kw: dict | None = None) -> None:
    """A label/value row in a two-column grid, the label at the top of its row when the value wraps
    (a grid cell otherwise sits at the bottom of a taller row)."""
    from kivy.uix.anchorlayout import (
        AnchorLayout,  # Kivy: imported after kivy_env.prepare() has set its environment
    )  # Kivy: imported after kivy_env.prepare() has set its environment

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
