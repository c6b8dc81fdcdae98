"""Look and size: colours (normal and high-contrast), fonts, and sizes derived from the screen's DPI.

Touch targets are at least 15 mm and text at least 24 px at the configured ``ui.dpi`` (accessibility
requirement). ``.kv`` files read everything from the one :data:`theme` instance, so switching to high
contrast at run time recolours every screen.
"""

from __future__ import annotations

from kivy.core.text import LabelBase
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty

from core.resources import asset

MIN_TARGET_MM = 15.0
MIN_FONT_PX = 24

PALETTES = {
    "normal": {
        "bg": "#F4F6F8", "surface": "#FFFFFF", "text": "#1B2631", "muted": "#4A5866",
        "primary": "#0B5394", "primary_fg": "#FFFFFF", "accent": "#E8F0FA",
        "ok": "#1E7B34", "ok_fg": "#FFFFFF", "danger": "#B3261E", "danger_fg": "#FFFFFF",
        "warn": "#8A5A00", "bar": "#0B3D6B", "bar_fg": "#FFFFFF", "bar_warn": "#FFD27F", "line": "#C5CED8",
        "key": "#E4E9EF", "key_fg": "#1B2631",
    },
    "high_contrast": {
        "bg": "#000000", "surface": "#000000", "text": "#FFFFFF", "muted": "#FFFF00",
        "primary": "#FFFF00", "primary_fg": "#000000", "accent": "#1A1A1A",
        "ok": "#00FF66", "ok_fg": "#000000", "danger": "#FF4040", "danger_fg": "#000000",
        "warn": "#FFB000", "bar": "#000000", "bar_fg": "#FFFF00", "bar_warn": "#FFB000", "line": "#FFFFFF",
        "key": "#222222", "key_fg": "#FFFFFF",
    },
}


def mm_to_px(mm: float, dpi: float) -> float:
    return mm * dpi / 25.4


class Theme(EventDispatcher):
    """Every colour and size the screens use; reconfigured from ``[ui]`` of the device config."""

    dpi = NumericProperty(96)
    high_contrast = BooleanProperty(False)
    target = NumericProperty(60)  # minimum touch target, px
    gap = NumericProperty(12)
    pad = NumericProperty(24)
    font_small = NumericProperty(24)
    font_body = NumericProperty(30)
    font_button = NumericProperty(32)
    font_title = NumericProperty(46)
    font_key = NumericProperty(40)
    font_huge = NumericProperty(180)
    bar_height = NumericProperty(96)
    status_height = NumericProperty(60)
    bg = ColorProperty()
    surface = ColorProperty()
    text = ColorProperty()
    muted = ColorProperty()
    primary = ColorProperty()
    primary_fg = ColorProperty()
    accent = ColorProperty()
    ok = ColorProperty()
    ok_fg = ColorProperty()
    danger = ColorProperty()
    danger_fg = ColorProperty()
    warn = ColorProperty()
    bar = ColorProperty()
    bar_fg = ColorProperty()
    bar_warn = ColorProperty()
    line = ColorProperty()
    key = ColorProperty()
    key_fg = ColorProperty()

    def __init__(self, **kw):
        super().__init__(**kw)
        self.configure(96, False)

    def configure(self, dpi: float, high_contrast: bool) -> None:
        self.dpi = dpi
        self.high_contrast = high_contrast
        self.target = max(60.0, mm_to_px(MIN_TARGET_MM + 1, dpi))  # a millimetre of margin
        scale = max(1.0, dpi / 96.0)
        self.gap = round(12 * scale)
        self.pad = round(24 * scale)
        self.font_small = max(MIN_FONT_PX, round(24 * scale))
        self.font_body = round(30 * scale)
        self.font_button = round(32 * scale)
        self.font_key = round(40 * scale)
        self.font_title = round(46 * scale)
        self.font_huge = round(180 * scale)
        self.bar_height = max(self.target + 2 * self.gap, round(96 * scale))
        self.status_height = max(self.target, round(60 * scale))
        for name, value in PALETTES["high_contrast" if high_contrast else "normal"].items():
            setattr(self, name, value)

    def rgba(self, name: str, alpha: float = 1.0) -> list[float]:
        r, g, b, _a = getattr(self, name)
        return [r, g, b, alpha]


theme = Theme()
_fonts_registered = False


def register_fonts() -> None:
    """Make the shipped Noto Sans the default font (rendering does not depend on the machine's fonts)."""
    global _fonts_registered
    if _fonts_registered:
        return
    regular = str(asset("fonts", "NotoSans-Regular.ttf"))
    bold = str(asset("fonts", "NotoSans-Bold.ttf"))
    LabelBase.register("NotoSans", fn_regular=regular, fn_bold=bold)
    LabelBase.register("Roboto", fn_regular=regular, fn_bold=bold)  # Kivy's default name
    _fonts_registered = True
