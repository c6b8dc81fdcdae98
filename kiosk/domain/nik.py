"""NIK (Nomor Induk Kependudukan) structure: PP KK CC DDMMYY SSSS.

PP province (a real province code), KK regency/city, CC district, DDMMYY birth date (women: day + 40), SSSS
serial. :func:`validate_nik` checks each part, derives birth date and sex, and refuses with the part that is
wrong (``invalid_nik`` plus an Indonesian-translatable message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.i18n import N_
from core.privacy import mask_id
from kiosk.domain.rules import HINT_CHECK_NIK, Refusal

# Kemendagri province codes (38 provinces; 92-96 are Papua Barat and the 2022 Papua provinces).
PROVINCES: dict[str, str] = {
    "11": "Aceh", "12": "Sumatera Utara", "13": "Sumatera Barat", "14": "Riau", "15": "Jambi",
    "16": "Sumatera Selatan", "17": "Bengkulu", "18": "Lampung", "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau", "31": "DKI Jakarta", "32": "Jawa Barat", "33": "Jawa Tengah",
    "34": "DI Yogyakarta", "35": "Jawa Timur", "36": "Banten", "51": "Bali", "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur", "61": "Kalimantan Barat", "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan", "64": "Kalimantan Timur", "65": "Kalimantan Utara", "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah", "73": "Sulawesi Selatan", "74": "Sulawesi Tenggara", "75": "Gorontalo",
    "76": "Sulawesi Barat", "81": "Maluku", "82": "Maluku Utara", "91": "Papua", "92": "Papua Barat",
    "93": "Papua Selatan", "94": "Papua Tengah", "95": "Papua Pegunungan", "96": "Papua Barat Daya",
}


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str
    province: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: str  # "F" or "M"
    serial: str


def _refuse(part: str, message: str, **params) -> Refusal:
    r = Refusal("invalid_nik", message, HINT_CHECK_NIK, **params)
    r.part = part  # type: ignore[attr-defined]
    return r


def validate_nik(nik: str, today: date | None = None) -> NikInfo:
    """Parse and check a NIK; raises :class:`Refusal` (``invalid_nik``) naming the wrong part."""
    nik = (nik or "").strip().replace(" ", "")
    if not nik:
        raise _refuse("length", N_("The NIK must have 16 digits; this one has {count}."), count=0)
    if not nik.isdigit() or not nik.isascii():
        raise _refuse("digits", N_("The NIK may contain digits only."))
    if len(nik) != 16:
        raise _refuse("length", N_("The NIK must have 16 digits; this one has {count}."), count=len(nik))
    pp, kk, cc, dd, mm, yy, ssss = nik[0:2], nik[2:4], nik[4:6], nik[6:8], nik[8:10], nik[10:12], nik[12:16]
    if pp not in PROVINCES:
        raise _refuse("province", N_("Digits 1-2 of the NIK ({code}) are not a province code."), code=pp)
    if kk == "00":
        raise _refuse("regency", N_("Digits 3-4 of the NIK (regency/city code) cannot be 00."))
    if cc == "00":
        raise _refuse("district", N_("Digits 5-6 of the NIK (district code) cannot be 00."))
    day, month, year2 = int(dd), int(mm), int(yy)
    sex = "M"
    if day > 40:
        day -= 40
        sex = "F"
    today = today or date.today()
    born = None
    for century in (2000, 1900):  # YY: this century unless that would be in the future
        try:
            born = date(century + year2, month, day)
        except ValueError:
            continue
        if born <= today:
            break
        born = None
    if born is None:
        raise _refuse("birth_date", N_("Digits 7-12 of the NIK ({digits}) are not a valid birth date."),
                      digits=nik[6:12])
    if ssss == "0000":
        raise _refuse("serial", N_("Digits 13-16 of the NIK (serial number) cannot be 0000."))
    return NikInfo(nik, pp, PROVINCES[pp], kk, cc, born, sex, ssss)


def is_valid_nik(nik: str) -> bool:
    try:
        validate_nik(nik)
        return True
    except Refusal:
        return False


def mask_nik(nik: str) -> str:
    """``3524********0003``: first four and last four digits only (paper and screen); any other identity number
    masked too (:func:`core.privacy.mask_id`)."""
    return mask_id(nik)
