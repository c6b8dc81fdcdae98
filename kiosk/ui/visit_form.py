"""What a visitor has entered so far in the registration flow (wiped by idle reset, cancel and done)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.i18n import N_

# relationship code -> English msgid shown on the big choice buttons
RELATIONSHIPS = [
    ("spouse", N_("Husband / wife")),
    ("parent", N_("Father / mother")),
    ("child", N_("Son / daughter")),
    ("sibling", N_("Brother / sister")),
    ("relative", N_("Other relative")),
    ("lawyer", N_("Legal counsel")),
]
RELATIONSHIP_LABELS = dict(RELATIONSHIPS)


@dataclass
class Follower:
    name: str
    relationship: str
    nik: str = ""
    id_number: str = ""  # another ID (passport, SIM) when there is no NIK
    child: bool = False  # children need no ID

    def as_request(self) -> dict:
        out = {"name": self.name, "relationship": self.relationship, "child": self.child}
        if self.nik:
            out["nik"] = self.nik
        if self.id_number:
            out["id_number"] = self.id_number
        return out


@dataclass
class VisitForm:
    nik: str = ""
    name: str = ""
    phone: str = ""
    relationship: str = ""
    inmate_query: str = ""
    inmate: Any = None  # the domain's inmate record found by registration number or exact name
    followers: list[Follower] = field(default_factory=list)
    visit_date: date | None = None
    session: str = ""
    session_label: str = ""

    def clear(self) -> None:
        self.__init__()

    def is_empty(self) -> bool:
        return self == VisitForm()
