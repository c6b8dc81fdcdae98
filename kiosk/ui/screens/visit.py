"""Visit registration, one screen per step: NIK, name + phone, relationship, inmate, followers, date + session,
confirmation, done. Domain calls run on the db lane; printing on the printer lane, after the visit is saved.

Happy path taps: home tile, relationship, "this is the inmate", "no followers / next", session, "print ticket"
(6 taps); the keypad/keyboard "next" keys are part of typing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty

from core.i18n import N_, _, translate
from core.ids import today_wib
from kiosk.ui import visit_api
from kiosk.ui.dates import day_label
from kiosk.ui.messages import printer_error_text, refusal_texts
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.theme import theme
from kiosk.ui.visit_form import RELATIONSHIP_LABELS, RELATIONSHIPS, Follower
from kiosk.ui.widgets.base import BigButton, DataButton, add_detail_row, reuse_buttons

log = logging.getLogger(__name__)
STEPS = 6
DAYS_AHEAD = 7


class VisitStep(KioskScreen):
    personal = True
    step = NumericProperty(0)
    step_text = StringProperty("")

    @property
    def form(self):
        return self.app.form

    def refresh(self) -> None:
        if self.step:
            self.step_text = _("Step {n} of {total}").format(n=self.step, total=STEPS)

    def refuse(self, exc: BaseException, *, go_to: str | None = None) -> None:
        """Explain a refusal (or an unexpected error) in plain language with what to do next."""
        if hasattr(exc, "code") and hasattr(exc, "message") and not hasattr(exc, "screen_text"):
            message, hint = refusal_texts(exc)
            title = _("Registration not possible")
        else:
            log.error("registration step failed", exc_info=exc)
            title, message = _("Something went wrong"), _("Your registration could not be saved.")
            hint = _("Please try again, or ask an officer for help.")
        self.app.show_message(title, message, hint, primary=_("OK"),
                              on_primary=(lambda: self.app.go(go_to)) if go_to else None)


class VisitNikScreen(VisitStep):
    instruction = N_("Type your NIK, the 16-digit number on your KTP.")
    help = StringProperty("")
    error = ObjectProperty(None, allownone=True)

    def reset(self) -> None:
        self.ids.nik.value = ""

    def typed(self, *_a) -> None:
        nik = self.ids.nik.value
        self.error = None
        if len(nik) < 16:
            self.help = _("{n} more digits").format(n=16 - len(nik)) if nik else ""
            self.ids.nik.error = False
            return
        problem = visit_api.nik_problem(nik)
        self.ids.nik.error = problem is not None
        self.error = problem
        self.help = _("NIK looks right.") if problem is None else self._problem_text(problem)

    @staticmethod
    def _problem_text(problem) -> str:
        if hasattr(problem, "message"):
            return refusal_texts(problem)[0]
        return str(problem)

    def submit(self) -> None:
        nik = self.ids.nik.value
        if len(nik) != 16:
            self.ids.nik.error = True
            self.help = _("The NIK has 16 digits. {n} more to go.").format(n=16 - len(nik))
            return
        if self.error is not None:
            return
        self.form.nik = nik
        self.app.go("visit_contact")


class VisitContactScreen(VisitStep):
    instruction = N_("Type your full name as on your KTP, then your phone number.")
    help = StringProperty("")

    def on_pre_enter(self, *a) -> None:
        super().on_pre_enter(*a)
        self.focus("name")

    def reset(self) -> None:
        self.ids.name.value = ""
        self.ids.phone.value = ""
        self.help = ""

    def focus(self, which: str) -> None:
        self.ids.name.focused = which == "name"
        self.ids.phone.focused = which == "phone"
        self.ids.keyboard.target = self.ids[which]

    def enter(self) -> None:
        name = " ".join(self.ids.name.value.split())
        if self.ids.name.focused:
            if len(name) < 2:
                self.ids.name.error = True
                self.help = _("Please type your full name.")
                return
            self.ids.name.error = False
            self.help = ""
            self.focus("phone")
            return
        try:
            phone = visit_api.normalise_phone(self.ids.phone.value)
        except Exception as exc:  # the domain's Refusal says what is wrong and what to do
            self.ids.phone.error = True
            if hasattr(exc, "message"):
                message, hint = refusal_texts(exc)
                self.help = f"{message} {hint}".strip()
            else:
                self.help = _("Type a mobile number starting with 08, for example 081234567890.")
            return
        self.ids.phone.error = False
        self.form.name, self.form.phone = name, phone
        self.app.go("visit_relation")


class VisitRelationScreen(VisitStep):
    instruction = N_("How are you related to the inmate?")

    def refresh(self) -> None:
        super().refresh()
        buttons = reuse_buttons(self.ids.choices, len(RELATIONSHIPS), BigButton, lambda b: self.choose(b.value))
        for b, (code, label) in zip(buttons, RELATIONSHIPS, strict=True):
            b.value, b.text = code, _(label)
            b.style = "primary" if self.form.relationship == code else "secondary"

    def choose(self, code: str) -> None:
        self.form.relationship = code
        self.app.go("visit_inmate")


class VisitInmateScreen(VisitStep):
    instruction = N_("Type the inmate's registration number or full name.")
    found = ObjectProperty(None, allownone=True)
    found_name = StringProperty("")
    found_detail = StringProperty("")
    help = StringProperty("")

    def reset(self) -> None:
        self.ids.query.value = ""
        self.found = None
        self.help = ""

    def search(self) -> None:
        query = " ".join(self.ids.query.value.split())
        if len(query) < 3:
            self.help = _("Type at least 3 characters.")
            return
        self.help = _("Searching...")
        self.found = None
        self.app.run_job(lambda: visit_api.find_inmate(self.app.services.store, query),
                         lambda inmate: self._found(query, inmate), self._not_found)

    def _found(self, query: str, inmate) -> None:
        if inmate is None:
            self._not_found(None)
            return
        name, reg_no = visit_api.inmate_text(inmate)
        self.found = inmate
        self.found_name = name
        self.found_detail = _("Registration no. {reg_no}").format(reg_no=reg_no)
        self.form.inmate_query = query
        self.help = _("Is this the person you are visiting?")

    def _not_found(self, exc) -> None:
        self.found = None
        if exc is not None and hasattr(exc, "code") and hasattr(exc, "message"):
            message, hint = refusal_texts(exc)
            self.help = f"{message} {hint}".strip()
        else:
            self.help = _("No inmate found. Check the registration number, or type the full name exactly.")

    def confirm(self) -> None:
        if self.found is None:
            return
        self.form.inmate = self.found
        self.app.go("visit_followers")


class VisitFollowersScreen(VisitStep):
    instruction = N_("Is anyone coming with you? Add them here, or continue alone.")
    rows = ListProperty([])

    def refresh(self) -> None:
        super().refresh()
        box = self.ids.list
        box.clear_widgets()
        for i, f in enumerate(self.form.followers):
            b = DataButton(text=f"{f.name} ({_(RELATIONSHIP_LABELS.get(f.relationship, f.relationship))})",
                           style="secondary")
            b.bind(on_release=lambda _b, idx=i: self.remove(idx))
            box.add_widget(b)
        n = len(self.form.followers)
        self.ids.next.text = _("Continue alone") if n == 0 else _("Continue with {n} followers").format(n=n)
        self.ids.hint.text = _("Touch a name to remove it.") if n else ""

    def remove(self, idx: int) -> None:
        del self.form.followers[idx]
        self.refresh()


class FollowerAddScreen(VisitStep):
    instruction = N_("Type the follower's name and ID number, then choose the relationship.")
    child = BooleanProperty(False)

    def on_pre_enter(self, *a) -> None:
        super().on_pre_enter(*a)
        self.focus("name")

    def reset(self) -> None:
        self.ids.name.value = ""
        self.ids.idno.value = ""
        self.child = False

    def focus(self, which: str) -> None:
        self.ids.name.focused = which == "name"
        self.ids.idno.focused = which == "idno"
        self.ids.keyboard.target = self.ids[which]

    def enter(self) -> None:
        self.focus("idno" if self.ids.name.focused else "name")

    def refresh(self) -> None:
        super().refresh()
        buttons = reuse_buttons(self.ids.choices, 5, BigButton, lambda b: self.add(b.value))
        for b, (code, label) in zip(buttons, RELATIONSHIPS[:5], strict=True):
            b.value, b.text, b.style, b.font_size = code, _(label), "secondary", theme.font_body

    def add(self, relationship: str) -> None:
        name = " ".join(self.ids.name.value.split())
        idno = self.ids.idno.value.replace(" ", "")
        self.ids.name.error = len(name) < 2
        self.ids.idno.error = not idno and not self.child
        if self.ids.name.error:
            self._problem(_("Please type the follower's full name."))
            return
        if self.ids.idno.error:
            self._problem(_("An adult follower needs a NIK or another ID number. Children under 17 need none."))
            return
        if len(idno) == 16 and idno.isdigit():
            problem = visit_api.nik_problem(idno)
            if problem is not None:
                self.ids.idno.error = True
                self._problem(*refusal_texts(problem))
                return
            follower = Follower(name=name, relationship=relationship, nik=idno, child=self.child)
        else:
            follower = Follower(name=name, relationship=relationship, id_number=idno, child=self.child)
        party = [f.as_request() for f in [*self.form.followers, follower]]
        self.app.run_job(lambda: visit_api.check_followers(self.app.services, party),
                         lambda _ok: self._added(follower), self.refuse)

    def _problem(self, message: str, hint: str = "") -> None:
        """Errors in a panel: this screen has no room for a second line under its keyboard."""
        self.app.show_message(_("Check the follower's details"), message, hint)

    def _added(self, follower: Follower) -> None:
        self.form.followers.append(follower)
        self.reset()
        self.app.go("visit_followers")


class VisitSessionScreen(VisitStep):
    instruction = N_("Choose the day and the session of your visit.")
    day_index = NumericProperty(0)
    note = StringProperty("")

    def on_pre_enter(self, *a) -> None:
        super().on_pre_enter(*a)
        self.load()

    def reset(self) -> None:
        self.day_index = 0

    def days(self):
        today = today_wib()
        return [today + timedelta(days=i) for i in range(DAYS_AHEAD)]

    def refresh(self) -> None:
        super().refresh()

        days = self.days()[:4]
        buttons = reuse_buttons(self.ids.days, len(days), DataButton, lambda b: self.pick_day(b.value))
        for i, (b, d) in enumerate(zip(buttons, days, strict=True)):
            b.value, b.text, b.style = i, day_label(d), "primary" if i == self.day_index else "secondary"

    def pick_day(self, idx: int) -> None:
        self.day_index = idx
        self.refresh()
        self.load()

    def load(self) -> None:
        day = self.days()[self.day_index]
        self.note = _("Loading sessions...")
        self.ids.sessions.clear_widgets()
        store = self.app.services.store
        self.app.run_job(lambda: (visit_api.sessions(store, day), visit_api.lead_days(store)),
                         lambda got: self._show(day, *got), lambda exc: self.refuse(exc))

    def _not_for(self, s) -> str:
        """Why this visitor cannot take session ``s`` although it is open (the rules the write would refuse)."""
        inmate = self.form.inmate
        if inmate is not None and s.inmate_codes and inmate.code not in s.inmate_codes:
            group = _("detainees (tahanan)") if inmate.code == "A" else _("sentenced inmates (narapidana)")
            return _("This session is not for visiting {group}.").format(group=group)
        return ""

    def _show(self, day, items, lead: int) -> None:
        box = self.ids.sessions
        buttons = reuse_buttons(box, len(items), DataButton, lambda b: self.choose(*b.value))
        self.note = "" if items else _("No visiting sessions on this day. Choose another day.")
        ahead = (day - today_wib()).days
        too_soon = 0 < ahead < lead
        for b, s in zip(buttons, items, strict=True):
            text = f"{s.label}  {s.start}-{s.end}"
            full = s.open and s.remaining is not None and s.remaining <= 0
            not_for = self._not_for(s) if s.open else ""
            if s.open and too_soon:
                not_for = _("Registration for another day must be made {days} day(s) ahead.").format(days=lead)
            if not_for:
                text += "\n" + not_for
            elif full:
                text += "\n" + _("Full")
            elif s.open and s.remaining is not None:
                text += "\n" + _("{n} places left").format(n=s.remaining)
            elif not s.open:
                text += "\n" + (translate(s.reason) if s.reason else _("Closed"))
            usable = s.open and not full and not not_for
            b.value, b.text, b.style, b.disabled = (day, s), text, "primary" if usable else "secondary", not usable
        if items and all(b.disabled for b in box.children):  # full, over or closed: say what to do next
            self.note = _("Please choose another day or session.")

    def choose(self, day, s) -> None:
        self.form.visit_date, self.form.session = day, s.code
        self.form.session_label = f"{s.label} {s.start}-{s.end}"
        self.app.go("visit_confirm")


class VisitConfirmScreen(VisitStep):
    instruction = N_("Check your details, then print your ticket.")
    summary = ListProperty([])

    def refresh(self) -> None:
        super().refresh()

        f = self.form
        if not f.nik:
            self.summary = []
            return
        name, reg_no = visit_api.inmate_text(f.inmate) if f.inmate is not None else ("", "")
        masked = f.nik[:4] + "*" * 8 + f.nik[-4:]
        followers = ", ".join(x.name for x in f.followers) or _("none")
        self.summary = [
            (_("Visitor"), f"{f.name}\n{masked}"),
            (_("Relationship"), _(RELATIONSHIP_LABELS.get(f.relationship, f.relationship))),
            (_("Inmate"), f"{name} ({reg_no})"),
            (_("Followers"), followers),
            (_("Visit"), f"{day_label(f.visit_date) if f.visit_date else ''}, {f.session_label}"),
        ]

    def on_summary(self, *_a) -> None:

        box = self.ids.get("summary_box")
        if box is None:
            return
        cells = list(reversed(box.children))  # label cell, value, label cell, value, ...
        if len(cells) == 2 * len(self.summary):  # the same rows as for the last visitor: new texts only
            for i, (label, value) in enumerate(self.summary):
                cells[2 * i].children[0].text, cells[2 * i + 1].text = label, value
            return
        box.clear_widgets()
        for label, value in self.summary:
            add_detail_row(box, label, value)

    def submit(self) -> None:
        self.ids.print_button.disabled = True
        form = self.form
        self.app.run_job(lambda: visit_api.register(self.app.services, form), self._saved, self._refused)

    def _refused(self, exc) -> None:
        self.ids.print_button.disabled = False
        code = getattr(exc, "code", "")
        back = {"quota_full": "visit_session", "session_closed": "visit_session", "lead_time": "visit_session",
                "too_many_followers": "visit_followers", "invalid_nik": "visit_nik",
                "inmate_not_found": "visit_inmate", "inmate_not_visitable": "visit_inmate",
                "day_not_allowed_for_inmate_code": "visit_session"}.get(code)
        self.refuse(exc, go_to=back)

    def _saved(self, visit) -> None:
        self.ids.print_button.disabled = False
        self.app.visit_saved(visit)


class VisitDoneScreen(KioskScreen):
    instruction = N_("Your ticket is printing. Show it with your KTP at the gate.")
    queue_no = StringProperty("")
    qr = StringProperty("")
    detail = StringProperty("")
    provisional = StringProperty("")
    print_state = StringProperty("")  # "", printing, printed, failed

    def reset(self) -> None:
        self.queue_no = self.qr = self.detail = self.provisional = self.print_state = ""

    def show(self, visit) -> None:
        self.queue_no = getattr(visit, "queue_no", "")
        self.qr = getattr(visit, "ticket", "") or getattr(visit, "ticket_payload", "") or ""
        self.provisional = _("Provisional: the officer will confirm your visit at the gate.") \
            if getattr(visit, "provisional", False) else ""
        self.detail = ""

    def print_failed(self, exc, retry) -> None:
        self.print_state = "failed"
        self.app.show_message(_("The ticket could not be printed"), printer_error_text(exc),
                              _("Your visit is saved. Touch Try again, or show this queue number to an officer."),
                              primary=_("Try again"), on_primary=retry, secondary=_("Close"))


for _kv in ("visit_nik.kv", "visit_contact.kv", "visit_relation.kv", "visit_inmate.kv", "visit_followers.kv",
            "visit_follower.kv", "visit_session.kv", "visit_confirm.kv", "visit_done.kv"):
    load_kv(__file__, _kv)
