"""Labels that cost less memory under Mesa's software GL, drawn exactly where Kivy's own Label draws them.

Kivy renders a label with ``text_size`` set (every wrapping label here) into a texture as wide as ``text_size``,
so a one-line hint in a full-width label is a texture of 1,200 x 40 pixels, nearly all empty; and Kivy's
``<Label>`` kv rule binds half a dozen expressions per label. :class:`TightText` makes the texture only as wide
as the laid-out text and places it itself (one rectangle, positioned from ``halign`` in Python), so the text
lands on the same pixels. The registration screens' label textures drop from ~9.4 MB to ~4.7 MB.

A class using it must drop Kivy's ``<Label>`` rule with a ``<-Name>`` rule (``widgets.kv``).
"""

from __future__ import annotations

import math

from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Rectangle
from kivy.uix.label import Label


class TightCoreLabel(CoreLabel):
    """Kivy's text renderer, with a texture no wider than the text (plus padding) when ``text_size`` is set.

    ``kivy_size`` is the size Kivy's renderer would have given the texture. The width keeps the parity of that
    width, so centred lines fall on the same pixels once :meth:`TightText._place_text` shifts the texture by half
    the difference."""

    kivy_size = (0, 0)

    def render(self, real=False):
        size = super().render(real)
        if real:
            return size
        self.kivy_size = size
        if self._text_size[0] is None or self.options["halign"] == "justify" or not self._cached_lines:
            return size
        width, height = size
        tight = max(2, math.ceil(self._internal_size[0]))
        tight += (width - tight) % 2
        return min(width, tight), height


# Font properties the kiosk never changes once a label is built. Kivy's Label binds all 37 of its font properties
# to re-render the text (~16 KB of bindings per label, ~280 labels); these are read only when the label first
# renders (one frame after it is built, so values set by kv are in). Set one later and the text keeps its look.
FIXED_FONT_PROPERTIES = frozenset({
    "font_script_name", "font_direction", "italic", "underline", "strikethrough", "font_family", "outline_width",
    "disabled_outline_color", "outline_color", "mipmap", "line_height", "max_lines", "strip", "split_str",
    "ellipsis_options", "unicode_errors", "font_hinting", "font_kerning", "font_blended", "font_context",
    "font_features", "base_direction", "text_language", "limit_render_to_text_bbox", "padding_x", "padding_y"})


class TightText:
    """Mixin (before ``Label``): tight text textures drawn by one rectangle placed in Python. ``texture_size``
    stays what Kivy reports (the ``text_size``-wide box), so kv sizes computed from it do not change."""

    def fbind(self, name, func, *largs, **kwargs):
        """Kivy's Label.__init__ binds each font property to re-render; not those in FIXED_FONT_PROPERTIES."""
        if name in FIXED_FONT_PROPERTIES and largs == (name,) and \
                getattr(func, "__func__", None) is Label._trigger_texture_update:
            return 0
        return super().fbind(name, func, *largs, **kwargs)

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.canvas:
            Color(1, 1, 1, 1)
            self._text_rect = Rectangle()
        self.fbind("pos", self._place_text)
        self.fbind("size", self._place_text)
        self._place_text()

    def _create_label(self) -> None:  # Kivy's Label makes its renderer here
        if self.markup:
            super()._create_label()
        elif type(self._label) is not TightCoreLabel:
            self._label = TightCoreLabel(**{name: getattr(self, name) for name in Label._font_properties})

    def texture_update(self, *largs) -> None:
        """Kivy's ``Label.texture_update`` (every text, font or ``text_size`` change ends here) for a plain
        label, with ``texture_size`` set to Kivy's size rather than the tight texture's."""
        label = self._label
        if type(label) is not TightCoreLabel:
            super().texture_update(*largs)
            self._place_text()
            return
        self.texture = None
        text = label.text
        if not text or (self.halign == "justify" or self.strip) and not text.strip():
            self.texture_size = (0, 0)
            self.is_shortened = False
        else:
            label.refresh()
            texture = label.texture
            if texture is not None:
                self.texture = texture
                tight = texture is not label.texture_1px
                self.texture_size = list(label.kivy_size if tight else texture.size)
            self.is_shortened = label.is_shortened
        self._place_text()

    def _place_text(self, *_a) -> None:
        """Where Kivy's ``<Label>`` rule puts its texture (``texture_size``, centred on the label, ``int()``
        rounded), shifted to where the text lies inside it for ``halign``: the same pixels."""
        rect = self._text_rect
        texture = self.texture
        kw, kh = self.texture_size
        tw = texture.width if texture is not None else kw
        rect.texture = texture
        rect.size = (tw, kh)
        # from x/y and the size: center_x/center_y are cached aliases, stale while a size change is dispatched
        x = int(self.x + self.width / 2.0 - kw / 2.0)
        if self.halign == "center":
            x += (kw - tw) // 2
        elif self.halign == "right":
            x += kw - tw
        rect.pos = (x, int(self.y + self.height / 2.0 - kh / 2.0))
