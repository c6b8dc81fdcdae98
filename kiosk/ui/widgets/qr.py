"""A QR code drawn from a ``qrcode`` matrix blitted into a Texture with nearest filtering (sharp modules)."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.widget import Widget


def qr_matrix(data: str, border: int = 2) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
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
        buf = bytearray()
        for row in reversed(matrix):  # textures are bottom-up
            for dark in row:
                buf += b"\x00\x00\x00" if dark else b"\xff\xff\xff"
        tex = Texture.create(size=(n, n), colorfmt="rgb")
        tex.mag_filter = "nearest"
        tex.min_filter = "nearest"
        tex.blit_buffer(bytes(buf), colorfmt="rgb", bufferfmt="ubyte")
        self.texture = tex
