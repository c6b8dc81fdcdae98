"""A QR code drawn from a ``qrcode`` matrix blitted into a Texture with nearest filtering (sharp modules)."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.widget import Widget


def qr_matrix(data: str, border: int = 2) -> list[list[bool]]:
    """The module matrix. A fixed mask (any mask is valid QR and every reader decodes it) keeps this at a few
    milliseconds on the UI thread; choosing the best of eight masks took ~35 ms on the kiosk's CPU."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border, mask_pattern=0)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


class QRWidget(Widget):
    data = StringProperty("")
    texture = ObjectProperty(None, allownone=True)

    def on_data(self, _inst, data: str) -> None:
        if not data:
            self.texture = None
            return
        matrix = qr_matrix(data)
        n = len(matrix)
        dark, light = b"\x00\x00\x00", b"\xff\xff\xff"
        buf = b"".join(dark if m else light for row in reversed(matrix) for m in row)  # textures are bottom-up
        tex = Texture.create(size=(n, n), colorfmt="rgb")
        tex.mag_filter = "nearest"
        tex.min_filter = "nearest"
        tex.blit_buffer(buf, colorfmt="rgb", bufferfmt="ubyte")
        self.texture = tex
