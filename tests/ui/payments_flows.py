"""Touch flows through the payment screens, shared by the payments UI tests (real taps on a real window)."""

from __future__ import annotations

from tests.support.harness import find_key, find_text, walk

NIK = "3507125508900001"  # structurally valid (East Java, woman born 15 Aug 1990)


def tile(h, key: str):
    home = h.app.sm.get_screen("home")
    home.refresh()
    h.pump(2)
    for w in home.ids.tiles.children:
        if w.tile_key == key:
            return w
    raise AssertionError(f"no {key!r} tile on the home screen: {[w.tile_key for w in home.ids.tiles.children]}")


def button(root, text: str):
    """The visible big button showing ``text`` exactly."""
    from kiosk.ui.widgets.base import BigButton

    for w in walk(root):
        if isinstance(w, BigButton) and w.text == text and not w.hidden and w.get_root_window() is not None:
            return w
    raise AssertionError(f"no button {text!r}")


def who(h, kind: str, reg_no: str, *, nik: str = NIK, name: str = "SITI", shot=lambda _n: None) -> None:
    """From home: the tile, the inmate by registration number, the sender's NIK and name."""
    app = h.app
    h.tap(tile(h, "send_money" if kind == "deposit" else "send_food"))
    entry = "send_money" if kind == "deposit" else "send_food"
    assert app.sm.current == entry
    scr = app.sm.get_screen(entry)
    h.type(scr.ids.keyboard, reg_no)
    h.tap(find_key(scr.ids.keyboard, "enter"), count=False)
    h.settle()
    shot(f"{kind}-inmate-found")
    assert scr.found is not None, scr.help
    h.tap(scr.ids.confirm)
    assert app.sm.current == "pay_nik"
    nik_scr = app.sm.get_screen("pay_nik")
    h.type(nik_scr.ids.keypad, nik)
    shot(f"{kind}-nik")
    assert not nik_scr.ids.nik.error, nik_scr.help
    h.tap(find_key(nik_scr.ids.keypad, "enter"), count=False)
    assert app.sm.current == "pay_name", nik_scr.help
    name_scr = app.sm.get_screen("pay_name")
    h.type(name_scr.ids.keyboard, name)
    shot(f"{kind}-name")
    h.tap(find_key(name_scr.ids.keyboard, "enter"), count=False)
    assert app.sm.current == ("deposit_amount" if kind == "deposit" else "food_menu"), name_scr.help


def deposit_to_qr(h, reg_no: str, amount: int, *, shot=lambda _n: None) -> None:
    """A deposit from home to the QR screen; ``amount`` is a preset button when there is one, else typed."""
    who(h, "deposit", reg_no, shot=shot)
    h.settle()
    choose_amount(h, amount, shot=shot)


def choose_amount(h, amount: int, *, shot=lambda _n: None) -> None:
    """On the amount screen: the preset (or the keypad), confirm, pay; ends on the QR screen."""
    from core.money import format_rupiah

    app = h.app
    scr = app.sm.get_screen("deposit_amount")
    shot("deposit-amount")
    preset = find_text(scr.ids.presets, format_rupiah(amount), exact=True)
    if preset is not None:
        h.tap(preset)
    else:
        scr.ids.keypad.press("clear")
        h.type(scr.ids.keypad, str(amount))
        h.tap(find_key(scr.ids.keypad, "enter"), count=False)
    h.settle()
    assert app.sm.current == "pay_confirm", (app.panel and app.panel.message, scr.help)
    shot("deposit-confirm")
    h.tap(app.sm.get_screen("pay_confirm").ids.pay)
    h.settle(timeout=30)
    assert app.sm.current == "pay_qr", (app.panel and app.panel.message)


def order_to_qr(h, reg_no: str, picks: dict[int, int], *, shot=lambda _n: None) -> None:
    """A food order from home to the QR screen; ``picks`` = {menu row index: how many taps on plus}."""
    app = h.app
    who(h, "order", reg_no, shot=shot)
    h.settle()
    scr = app.sm.get_screen("food_menu")
    rows = list(reversed(scr.ids.rows.children))
    for i, n in picks.items():
        for _ in range(n):
            h.tap(rows[i].ids.plus, count=False)
    shot("order-cart")
    h.tap(scr.ids.next)
    h.settle()
    assert app.sm.current == "pay_confirm", (app.panel and app.panel.message)
    shot("order-confirm")
    h.tap(app.sm.get_screen("pay_confirm").ids.pay)
    h.settle(timeout=30)
    assert app.sm.current == "pay_qr", (app.panel and app.panel.message)


def check_receipt(h, reference: str, *, shot=lambda _n: None):
    """From home: "Check a payment", type the receipt number; returns the status screen."""
    app = h.app
    h.tap(tile(h, "check_payment"))
    scr = app.sm.get_screen("pay_status")
    h.type(scr.ids.keyboard, reference)
    h.tap(find_key(scr.ids.keyboard, "enter"), count=False)
    h.settle()
    shot("check-payment")
    assert scr.found, scr.help
    return scr
