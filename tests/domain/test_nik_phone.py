"""NIK structure (property-based) and Indonesian phone numbers."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.nik import PROVINCES, mask_nik, validate_nik
from kiosk.domain.phone import display_phone, normalise_phone
from kiosk.domain.rules import Refusal
from tests.domain.helpers import make_nik

TODAY = date(2026, 11, 30)
NOT_PROVINCES = sorted(f"{i:02d}" for i in range(100) if f"{i:02d}" not in PROVINCES)


@st.composite
def niks(draw):
    """A structurally valid NIK and what it must derive: (nik, birth date, sex, province)."""
    province = draw(st.sampled_from(sorted(PROVINCES)))
    regency = draw(st.integers(1, 99))
    district = draw(st.integers(1, 99))
    # born in the 99 years up to today: the two-digit year is unambiguous
    born = draw(st.dates(min_value=date(TODAY.year - 99, 1, 1), max_value=TODAY))
    female = draw(st.booleans())
    serial = draw(st.integers(1, 9999))
    nik = make_nik(serial, province=province, regency=f"{regency:02d}", district=f"{district:02d}", born=born,
                   female=female)
    return nik, born, "F" if female else "M", province


@settings(max_examples=300, deadline=None)
@given(niks())
def test_valid_niks_validate_and_derive_birth_date_and_sex(case):
    nik, born, sex, province = case
    info = validate_nik(nik, TODAY)
    assert (info.nik, info.birth_date, info.sex, info.province_code) == (nik, born, sex, province)
    assert info.province == PROVINCES[province]
    assert mask_nik(nik) == nik[:4] + "********" + nik[-4:]
    # spaces as people type them from the card change nothing
    spaced = " ".join(nik[i:i + 4] for i in range(0, 16, 4))
    assert validate_nik(spaced, TODAY).nik == nik


def refused_part(nik: str) -> tuple[str, str]:
    with pytest.raises(Refusal) as info:
        validate_nik(nik, TODAY)
    assert info.value.code == "invalid_nik"
    return info.value.part, info.value.text("id")


@settings(max_examples=200, deadline=None)
@given(niks(), st.sampled_from(NOT_PROVINCES))
def test_wrong_province_is_named(case, bad):
    nik = bad + case[0][2:]
    part, text = refused_part(nik)
    assert part == "province"
    assert text == f"Angka ke-1 dan ke-2 NIK ({bad}) bukan kode provinsi."


@settings(max_examples=100, deadline=None)
@given(niks())
def test_zero_regency_district_or_serial_is_named(case):
    nik = case[0]
    assert refused_part(nik[:2] + "00" + nik[4:]) == (
        "regency", "Angka ke-3 dan ke-4 NIK (kode kabupaten/kota) tidak boleh 00.")
    assert refused_part(nik[:4] + "00" + nik[6:]) == (
        "district", "Angka ke-5 dan ke-6 NIK (kode kecamatan) tidak boleh 00.")
    assert refused_part(nik[:12] + "0000") == (
        "serial", "Angka ke-13 sampai ke-16 NIK (nomor urut) tidak boleh 0000.")


@settings(max_examples=200, deadline=None)
@given(niks(), st.sampled_from(["00", "32", "40", "72", "80", "99"]), st.integers(0, 99))
def test_impossible_birth_date_is_named(case, dd, mm_or_day):
    nik = case[0]
    # an impossible day (00, 32-40, 72+) or an impossible month (00, 13-99)
    bad_day = nik[:6] + dd + nik[8:]
    bad_month = nik[:8] + f"{13 + mm_or_day % 87:02d}" + nik[10:]
    for bad in {bad_day, bad_month} - {nik}:
        part, text = refused_part(bad)
        assert part == "birth_date"
        assert text == f"Angka ke-7 sampai ke-12 NIK ({bad[6:12]}) bukan tanggal lahir yang sah."


def test_birth_dates_at_the_edges():
    assert validate_nik(make_nik(born=date(2000, 2, 29)), TODAY).birth_date == date(2000, 2, 29)
    assert refused_part("3524012902010001")[0] == "birth_date"  # 29 Feb 2001 / 1901 never existed
    assert refused_part("3524016902010001")[0] == "birth_date"  # the same for a woman (+40)
    assert validate_nik("3524016902960001", TODAY).birth_date == date(1996, 2, 29)  # a woman: 29 + 40
    assert validate_nik("3524017101960001", TODAY).sex == "F"  # 31 January, + 40
    # a two-digit year that would be in the future belongs to the previous century
    tomorrow = TODAY + timedelta(days=1)
    info = validate_nik(make_nik(born=tomorrow.replace(year=tomorrow.year - 100)), TODAY)
    assert info.birth_date == date(1926, 12, 1)
    assert validate_nik(make_nik(born=TODAY), TODAY).birth_date == TODAY


@pytest.mark.parametrize("nik,part,text", [
    ("", "length", "NIK harus 16 angka; yang ini 0 angka."),
    ("352401150785", "length", "NIK harus 16 angka; yang ini 12 angka."),
    ("35240115078500011", "length", "NIK harus 16 angka; yang ini 17 angka."),
    ("3524O11507850001", "digits", "NIK hanya boleh berisi angka."),
    ("3524-0115-0785-0001", "digits", "NIK hanya boleh berisi angka."),
    ("３５２４０１１５０７８５０００１", "digits", "NIK hanya boleh berisi angka."),  # full-width digits
])
def test_length_and_digits(nik, part, text):
    assert refused_part(nik) == (part, text)


def test_lapas_nik_command_names_the_part():
    def run(nik):
        return subprocess.run([sys.executable, "-m", "lapas", "nik", nik], capture_output=True, text=True, timeout=60)

    ok = run("3524014507900003")
    assert ok.returncode == 0 and '"sex": "F"' in ok.stdout and '"birth_date": "1990-07-05"' in ok.stdout
    bad = run("9924014507900003")
    assert bad.returncode == 1 and '"part": "province"' in bad.stdout
    assert "Angka ke-1 dan ke-2 NIK (99) bukan kode provinsi." in bad.stdout


# --- phone numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["081234567890", "0812 3456 7890", "0812-3456-7890", "+62 812-3456-7890",
                                   "+6281234567890", "6281234567890", "62 0812 3456 7890", "(0812) 3456.7890",
                                   "81234567890"])
def test_mobile_formats_normalise_to_e164(typed):
    assert normalise_phone(typed) == "+6281234567890"
    assert display_phone(normalise_phone(typed)) == "0812-3456-7890"


def test_landline_and_length_edges():
    assert normalise_phone("(0341) 551234") == "+62341551234"  # Malang landline
    assert normalise_phone("021-5551234") == "+62215551234"  # Jakarta
    assert normalise_phone("0812345678") == "+62812345678"  # shortest mobile: 08 + 8 digits
    assert normalise_phone("0812345678901") == "+62812345678901"  # longest: 13 digits


@pytest.mark.parametrize("typed,text", [
    ("+1 415 555 0100", "Hanya nomor telepon Indonesia (+62) yang dapat dipakai."),
    ("0812-34x6-7890", "Nomor telepon hanya boleh berisi angka."),
    ("08123", "Nomor telepon 08123 belum lengkap."),
    ("08123456789012", "Nomor telepon 08123456789012 belum lengkap."),
    ("0112345678", "Nomor telepon 0112345678 belum lengkap."),
])
def test_bad_phone_numbers_are_refused(typed, text):
    with pytest.raises(Refusal) as info:
        normalise_phone(typed)
    assert info.value.code == "invalid_phone" and info.value.text("id") == text
    assert info.value.hint_text("id") == "Ketik nomornya seperti tertulis, misalnya 0812 3456 7890."


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"8[1-9][0-9]{7,10}", fullmatch=True), st.sampled_from(["0", "+62", "62", "+62 0"]),
       st.sampled_from(["", " ", "-", "."]))
def test_any_mobile_number_in_any_format(national, prefix, sep):
    typed = prefix + sep.join(national[i:i + 4] for i in range(0, len(national), 4))
    assert normalise_phone(typed) == "+62" + national
