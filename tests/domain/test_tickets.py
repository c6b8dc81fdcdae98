"""Signed tickets: size, round trip, and a printed QR that a real decoder reads back exactly."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import qrcode
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode.constants import ERROR_CORRECT_M

from core import identity
from kiosk.domain.tickets import (
    MAX_LEN,
    PREFIX,
    Ticket,
    TicketFormatError,
    b45decode,
    b45encode,
    decode_ticket,
    encode_ticket,
    id_ref,
)


def key() -> identity.DeviceKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return identity.DeviceKey(Ed25519PrivateKey.generate())


SIGNER = key()
EXPIRY = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


def ticket(facility="LPS-DEMO", inmate="inm-0001", queue=17, followers=3, provisional=False) -> Ticket:
    return Ticket(facility, str(uuid.uuid4()), date(2026, 11, 30), "P", queue, inmate, followers, EXPIRY, provisional)


REALISTIC_FACILITIES = ["LPS-DEMO", "RUTAN-JKT-PST", "LPKA-BLITAR", "LAPAS-KELAS-IIA-MALANG-001"]
REALISTIC_INMATES = ["inm-0001", "inm-000123", "AII.0002-2026", "01J9Z3K4M5N6P7Q8R9S0T1U2V3", str(uuid.uuid4())]


def test_realistic_tickets_fit_200_characters_and_round_trip():
    for facility in REALISTIC_FACILITIES:
        for inmate in REALISTIC_INMATES:
            t = ticket(facility, inmate, queue=999, followers=4, provisional=True)
            text = encode_ticket(t, SIGNER)
            assert len(text) <= MAX_LEN and text.startswith(PREFIX)
            d = decode_ticket(text)
            assert d.ticket == Ticket(id_ref(facility), t.visit_id, t.visit_date, "P", 999, id_ref(inmate), 4,
                                      EXPIRY, True)
            assert d.ticket.queue_no == "P-999" and d.ticket.people == 5
            assert identity.verify_sig(SIGNER.private.public_key(), d.signature, d.signed)
    typical = encode_ticket(ticket(), SIGNER)
    assert len(typical) == 181  # the size quoted in docs/visits.md
    assert decode_ticket(typical).ticket.facility_id == "LPS-DEMO"  # short ids are carried as they are


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64),
       st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64),
       st.integers(1, 65535), st.integers(0, 20), st.booleans())
def test_any_ids_fit(facility, inmate, queue, followers, provisional):
    t = ticket(facility, inmate, queue, followers, provisional)
    text = encode_ticket(t, SIGNER)
    assert len(text) <= MAX_LEN
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode only
    d = decode_ticket(text).ticket
    assert (d.facility_id, d.inmate_id, d.queue_number, d.followers, d.provisional) == (
        id_ref(facility), id_ref(inmate), queue, followers, provisional)


def test_qr_of_a_ticket_decodes_to_exactly_the_payload_at_version_8_or_lower(kiosk):
    worst = encode_ticket(ticket("LAPAS-KELAS-IIA-MALANG-001", str(uuid.uuid4()), 65535, 20, True), SIGNER)
    real = kiosk.register(1).ticket
    for payload in (real, worst):
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=4, border=4)
        qr.add_data(payload)
        qr.make(fit=True)
        assert qr.version <= 8, (len(payload), qr.version)
        image = qr.make_image().get_image()
        found = zxingcpp.read_barcodes(image)
        assert [r.text for r in found] == [payload]
        assert found[0].format == zxingcpp.BarcodeFormat.QRCode


@pytest.mark.parametrize("raw, text", [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"),
                                       (b"ietf!", "QED8WEX0"), (b"", "")])
def test_base45_rfc9285_examples(raw, text):
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@given(st.binary(max_size=300))
def test_base45_round_trip(raw):
    assert b45decode(b45encode(raw)) == raw


@pytest.mark.parametrize("text", ["GGW", "GGWA", "A", "ab1", "AB\u00e9", "AB#"])
def test_base45_refuses_what_it_cannot_be(text):
    with pytest.raises(TicketFormatError):
        b45decode(text)
