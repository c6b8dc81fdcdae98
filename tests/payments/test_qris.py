"""QRIS: CRC known answers, parse/build round trips, clear errors, dynamic payloads, QR images that decode."""

from __future__ import annotations

import binascii
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import qris
from core.demo_payments import demo_merchant_payload

STATIC = demo_merchant_payload()


# --- CRC ----------------------------------------------------------------------------------------------


def test_crc_check_value():
    assert qris.crc16_ccitt_false(b"123456789") == 0x29B1
    assert qris.crc_hex("123456789") == "29B1"


@pytest.mark.parametrize("data,expected", [(b"", 0xFFFF), (b"A", 0xB915), (b"\x00", 0xE1F0)])
def test_crc_more_known_answers(data, expected):
    assert qris.crc16_ccitt_false(data) == expected


@given(st.binary(max_size=300))
def test_crc_matches_independent_implementation(data):
    # binascii.crc_hqx is the CCITT polynomial without reflection; with init 0xFFFF it is CCITT-FALSE
    assert qris.crc16_ccitt_false(data) == binascii.crc_hqx(data, 0xFFFF)


def test_static_demo_payload_crc_is_the_crc_of_everything_before_it():
    assert STATIC.endswith(qris.crc_hex(STATIC[:-4]))
    assert STATIC[-8:-4] == "6304"


# --- parse --------------------------------------------------------------------------------------------


def test_parse_nested_templates_and_fields():
    p = qris.parse(STATIC)
    assert p["00"] == "01" and p["01"] == "11"
    assert p["26"]["00"] == "ID.CO.QRIS.WWW"
    assert p["51"]["02"] == "ID1026999000001"
    assert p["53"] == "360" and p["58"] == "ID"
    assert p.crc_ok and not p.is_dynamic and p.amount is None
    assert list(p)[-1] == "63"


def test_bad_crc_raises_or_is_reported():
    tampered = STATIC[:-4] + ("0000" if STATIC[-4:] != "0000" else "1111")
    with pytest.raises(qris.QrisCrcError) as e:
        qris.parse(tampered)
    assert e.value.code == "bad_crc"
    assert qris.parse(tampered, verify_crc=False).crc_ok is False


def test_changed_amount_breaks_the_crc():
    dyn = qris.make_dynamic(STATIC, 50000, "D1234")
    tampered = dyn.replace("540550000", "540590000")
    assert tampered != dyn
    with pytest.raises(qris.QrisCrcError):
        qris.parse(tampered)


def test_bad_length_names_the_tag():
    broken = STATIC.replace("5303360", "5309360", 1)
    with pytest.raises(qris.QrisError) as e:
        qris.parse(broken, verify_crc=False)
    assert e.value.code in ("bad_length", "bad_format", "missing_tag")
    # a length that runs past the end of the payload is a length error naming its tag
    with pytest.raises(qris.QrisLengthError) as e:
        qris.parse("000201" + "5999ABC")
    assert e.value.code == "bad_length" and e.value.tag == "59"
    assert "declares length 99" in str(e.value)


def test_bad_length_inside_template():
    inner = "0014ID.CO.QRIS.WWW0130AB"  # sub-field 01 claims 30 characters, 2 follow
    body = f"000201010211{26:02d}{len(inner):02d}{inner}520499995303360" + "5802ID5901X6001Y6304"
    with pytest.raises(qris.QrisLengthError) as e:
        qris.parse(body + qris.crc_hex(body))
    assert "template 26" in str(e.value)


@pytest.mark.parametrize("tag", ["00", "01", "52", "53", "58", "59", "60", "63"])
def test_missing_mandatory_tag(tag):
    tags = dict(qris.parse(STATIC))
    del tags[tag]
    text = qris.encode(tags) if tag != "63" else qris.encode(tags)[:-8]
    with pytest.raises(qris.QrisMissingTagError) as e:
        qris.parse(text)
    assert e.value.code == "missing_tag" and e.value.tag == tag
    assert tag in str(e.value)


def test_missing_merchant_account():
    tags = {k: v for k, v in qris.parse(STATIC).items() if k not in ("26", "51")}
    with pytest.raises(qris.QrisMissingTagError):
        qris.parse(qris.encode(tags))


@pytest.mark.parametrize("text,code", [
    ("", "bad_format"),
    ("0002", "bad_length"),
    ("00", "bad_format"),
    ("AB0201", "bad_format"),
    ("00XX01", "bad_format"),
    ("000201\n", "bad_format"),
    ("000001", "bad_format"),
])
def test_garbage_is_refused_with_codes(text, code):
    with pytest.raises(qris.QrisError) as e:
        qris.parse(text)
    assert e.value.code == code


def test_duplicate_tag_refused():
    p = dict(qris.parse(STATIC))
    text = qris.encode(p)
    dup = text[:-8].replace("5802ID", "5802ID5802ID") + "6304"
    with pytest.raises(qris.QrisFormatError, match="twice"):
        qris.parse(dup + qris.crc_hex(dup))


def test_amount_with_fraction_refused():
    assert qris.parse_amount("15000") == 15000
    assert qris.parse_amount("15000.00") == 15000
    for bad in ("15000.50", "1.5e3", "-100", "", "12,000"):
        with pytest.raises(qris.QrisValueError):
            qris.parse_amount(bad)


# --- build / round trips ------------------------------------------------------------------------------

_ans = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25)
# a nested template must itself fit in 99 characters: with the GUID (18) at most 3 x (4 + 20) = 72 more
_subtags = st.dictionaries(st.sampled_from([f"{n:02d}" for n in range(0, 10)]),
                           st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1,
                                   max_size=20), min_size=1, max_size=3)


@st.composite
def payloads(draw):
    tags: dict = {"00": "01", "01": draw(st.sampled_from(["11", "12"]))}
    tags["26"] = {"00": "ID.CO.QRIS.WWW", **draw(_subtags)}
    for t in draw(st.lists(st.sampled_from([f"{n:02d}" for n in range(27, 52)]), max_size=3, unique=True)):
        tags[t] = draw(_subtags)
    tags["52"] = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    tags["53"] = "360"
    if tags["01"] == "12" or draw(st.booleans()):
        tags["54"] = str(draw(st.integers(1, 10**12)))
    tags["58"] = "ID"
    tags["59"] = draw(_ans)
    tags["60"] = draw(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1,
                              max_size=15))
    if draw(st.booleans()):
        tags["62"] = draw(_subtags)
    return tags


@given(payloads())
def test_parse_build_round_trip(tags):
    text = qris.build(tags)
    parsed = qris.parse(text)
    assert {k: v for k, v in parsed.items() if k != "63"} == tags
    assert qris.build(parsed) == text
    assert parsed.crc_ok


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_garbage_text_never_crashes(text):
    try:
        qris.parse(text)
    except qris.QrisError as exc:
        assert exc.code in ("bad_format", "bad_length", "bad_crc", "missing_tag", "bad_value")
        assert str(exc)


@given(payloads(), st.data())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_single_character_change_is_detected(tags, data):
    text = qris.build(tags)
    i = data.draw(st.integers(0, len(text) - 1))
    ch = data.draw(st.characters(min_codepoint=0x20, max_codepoint=0x7E).filter(lambda c: c != text[i]))
    mutated = text[:i] + ch + text[i + 1:]
    with pytest.raises(qris.QrisError):
        qris.parse(mutated)


def test_build_refuses_bad_values():
    with pytest.raises(qris.QrisLengthError):
        qris.encode({"00": "01", "59": "x" * 100})
    with pytest.raises(qris.QrisFormatError):
        qris.encode({"00": "01", "59": ""})
    with pytest.raises(qris.QrisFormatError):
        qris.encode({"00": "01", "62": "plain"})
    with pytest.raises(qris.QrisFormatError):
        qris.encode({"00": "01", "59": {"00": "x"}})


# --- dynamic ------------------------------------------------------------------------------------------


def test_make_dynamic_sets_amount_reference_terminal():
    dyn = qris.make_dynamic(STATIC, 150000, "DXK4M2Q9ZT7", terminal="kiosk-01")
    p = qris.parse(dyn)
    assert p["01"] == "12" and p.is_dynamic
    assert p["54"] == "150000" and p.amount == 150000
    assert p["62"]["01"] == "DXK4M2Q9ZT7" and p["62"]["05"] == "DXK4M2Q9ZT7" and p["62"]["07"] == "kiosk-01"
    assert p.reference == "DXK4M2Q9ZT7" and p.terminal == "kiosk-01"
    # the merchant is unchanged
    static = qris.parse(STATIC)
    for tag in ("26", "51", "52", "53", "58", "59", "60", "61"):
        assert p[tag] == static[tag]
    tags = list(p)
    assert tags == sorted(tags[:-1]) + ["63"]


def test_make_dynamic_drops_tip_prompt():
    tags = dict(qris.parse(STATIC))
    tags = {**{k: v for k, v in tags.items() if k < "55"}, "55": "01", **{k: v for k, v in tags.items() if k > "55"}}
    static_with_tip = qris.build(tags)
    p = qris.parse(qris.make_dynamic(static_with_tip, 1000, "R1"))
    assert "55" not in p and p.amount == 1000


def test_make_dynamic_refuses_bad_input():
    with pytest.raises(qris.QrisValueError):
        qris.make_dynamic(STATIC, 0, "R1")
    with pytest.raises(qris.QrisValueError):
        qris.make_dynamic(STATIC, 1000, "R" * 26)
    with pytest.raises(qris.QrisLengthError):
        qris.make_dynamic(STATIC, 10**14, "R1")
    with pytest.raises(TypeError):
        qris.make_dynamic(STATIC, 1000.0, "R1")  # type: ignore[arg-type]
    with pytest.raises(qris.QrisCrcError):
        qris.make_dynamic(STATIC[:-1] + "0", 1000, "R1")


@given(st.integers(1, 10**12), st.from_regex(r"[A-Z0-9]{1,25}", fullmatch=True))
def test_make_dynamic_round_trip(amount, ref):
    p = qris.parse(qris.make_dynamic(STATIC, amount, ref, terminal="kiosk-01"))
    assert p.amount == amount and p.reference == ref


# --- QR image -----------------------------------------------------------------------------------------


def test_payload_in_a_qr_image_decodes_byte_exact():
    import qrcode
    import zxingcpp

    dyn = qris.make_dynamic(STATIC, 275000, "D01JD8KX2M4Q7Z9", terminal="kiosk-01")
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=4)
    qr.add_data(dyn)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    results = zxingcpp.read_barcodes(img)
    assert len(results) == 1
    assert results[0].text == dyn
    assert results[0].bytes == dyn.encode("ascii")
    assert qris.parse(results[0].text).amount == 275000


# --- CLI ----------------------------------------------------------------------------------------------


def test_cli_parse_prints_one_json_object(run_lapas):
    dyn = qris.make_dynamic(STATIC, 100000, "DREF123", terminal="kiosk-09")
    proc = run_lapas("qris", "parse", dyn)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["crc_ok"] is True
    assert out["tags"]["54"] == "100000"
    assert out["tags"]["62"] == {"01": "DREF123", "05": "DREF123", "07": "kiosk-09"}
    assert out["tags"]["26"]["00"] == "ID.CO.QRIS.WWW"


def test_cli_parse_bad_crc_and_garbage(run_lapas):
    bad = STATIC[:-4] + ("0000" if STATIC[-4:] != "0000" else "1111")
    proc = run_lapas("qris", "parse", bad)
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["crc_ok"] is False
    proc = run_lapas("qris", "parse", "hello")
    assert proc.returncode == 2
    err = json.loads(proc.stdout)
    assert err["error"] == "bad_format" and err["message"]


def test_cli_dynamic(run_lapas):
    proc = run_lapas("qris", "dynamic", "--static", STATIC, "--amount", "250000", "--ref", "D9X")
    assert proc.returncode == 0, proc.stderr
    p = qris.parse(proc.stdout.strip())
    assert p.amount == 250000 and p.reference == "D9X"
    proc = run_lapas("qris", "dynamic", "--static", STATIC, "--amount", "2500.5", "--ref", "D9X")
    assert proc.returncode != 0 and "rupiah" in proc.stderr
    proc = run_lapas("qris", "dynamic", "--static", STATIC[:-2] + "00", "--amount", "1", "--ref", "D9X")
    assert proc.returncode != 0 and "bad_crc" in proc.stderr
