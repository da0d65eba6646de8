"""The one home of human labels for stored codes, and of refusals turned into words.

Codes (`online`, `held`, `below_city_30`) stay in the database, the API and the machine columns;
a person reads the labels below, in the request's language. Refusals from the domain carry
message ids (`models.errors`); `error_message`, `error_details` and `apply_form_errors` put them
into words at the edge.
"""
from __future__ import annotations

from flask import flash
from flask_babel import format_date, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from models.errors import DATA_DETAILS, N_, DomainError
from reports import wording
from reports.periods import Period, parse_period
from scheduler.recurrence_words import describe_rrule

CATEGORY_LABELS = {
    "trien_khai": _l("Task deployment"), "so_ket": _l("Interim review"),
    "tong_ket": _l("Year-end review"), "tap_huan": _l("Training"),
    "giai_quyet_cong_viec": _l("Multi-party work-resolution meeting"),
    "giao_ban": _l("Periodic briefing"), "khac": _l("Other")}
MODE_LABELS = {"in_person": _l("In person"), "online": _l("Online"), "hybrid": _l("Hybrid")}
STATUS_LABELS = {"scheduled": _l("Scheduled"), "held": _l("Held"), "cancelled": _l("Cancelled")}
RESPONSE_LABELS = {"pending": _l("Pending"), "confirmed": _l("Confirmed"), "declined": _l("Declined")}
LEVEL_LABELS = {"city": _l("City"), "department": _l("Department"), "district": _l("District"),
                "commune": _l("Commune")}
ROLE_LABELS = {"admin": _l("Administrator"), "organizer": _l("Organiser"), "clerk": _l("Clerk"),
               "viewer": _l("Viewer")}
ENDPOINT_KIND_LABELS = {"room_system": _l("Room system (SIP/H.323)"), "software": _l("Software client")}
FIGURE_LABELS = {"held": _l("Held"), "held_online": _l("Held online"), "cancelled": _l("Cancelled"),
                 "awaiting_outcome": _l("Awaiting outcome"), "ratio": _l("Online ratio"), "target": _l("Target"),
                 "gap": _l("Gap")}
ENDPOINT_STATUS_LABELS = {"planned": _l("Planned"), "installed": _l("Installed"), "ready": _l("Ready"),
                          "faulty": _l("Faulty"), "retired": _l("Retired")}
TASK_STATUS_LABELS = {"assigned": _l("Assigned"), "received": _l("Received"), "in_progress": _l("In progress"),
                      "done": _l("Done")}
TASK_STANDING_LABELS = {"done_on_time": _l("Done on time"), "done_late": _l("Done late"),
                        "overdue": _l("Overdue"), "open": _l("Open, not yet due")}
DOCUMENT_STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published")}
ROLL_CALL_LABELS = {"connected": _l("Connected"), "in_person": _l("In person"), "absent": _l("Absent"),
                    "unknown": _l("Not yet known")}

#: every dictionary above, by the name templates use (`labels.modes['online']`)
LABELS = {"categories": CATEGORY_LABELS, "modes": MODE_LABELS, "statuses": STATUS_LABELS,
          "responses": RESPONSE_LABELS, "levels": LEVEL_LABELS, "roles": ROLE_LABELS,
          "endpoint_kinds": ENDPOINT_KIND_LABELS, "endpoint_statuses": ENDPOINT_STATUS_LABELS,
          "document_statuses": DOCUMENT_STATUS_LABELS, "roll_call": ROLL_CALL_LABELS,
          "figures": FIGURE_LABELS, "task_statuses": TASK_STATUS_LABELS, "task_standings": TASK_STANDING_LABELS}


def label(kind: str, code: str | None) -> str:
    """The label of `code` in the dictionary `kind` (the code itself when it has none)."""
    if code is None:
        return ""
    found = LABELS[kind].get(code)
    return str(found) if found is not None else code


def rule_label(code: str, names: dict[str, str] | None = None) -> str:
    """A target rule as a person reads it: its own name when known, else its code."""
    return (names or {}).get(code) or code


def describe_series(rule: str, start) -> str:
    """A series' RRULE in words in the request's language ("Hằng tuần vào thứ Hai, 8 buổi, từ 07/01/2019")."""
    return describe_rrule(rule, start, _, get_translations().ungettext,
                          lambda d: format_date(d, "dd/MM/yyyy"))


def format_ratio(value) -> str:
    """A percentage (88.4) as the request's locale writes it ("88,4%"); "—" for none."""
    return wording.format_ratio(value, str(get_locale())) or "—"


def format_figure(value, signed: bool = False) -> str:
    """A figure with one decimal (66.7) as the request's locale writes it ("66,7"); "—" for none."""
    return wording.format_figure(value, str(get_locale()), signed) or "—"


def period_label(period: Period | str) -> str:
    """A period in words in the request's language ("Tháng 3/2019", "Quý I/2019", "Năm 2019")."""
    if isinstance(period, str):
        period = parse_period(period)
    return wording.period_words(period, get_translations().ugettext, str(get_locale()))


def report_wording() -> wording.Wording:
    """The report's words, levels and numbers in the request's language (CSV, XLSX, tables)."""
    levels = {code: str(text) for code, text in LEVEL_LABELS.items()}  # read now: the files are written later
    return wording.Wording(get_translations().ugettext, str(get_locale()), lambda code: levels.get(code, code))


# --- refusals -------------------------------------------------------------------------------

def error_message(error: DomainError) -> str:
    """The refusal's sentence in the request's language."""
    return error.translated(_)


def error_details(error: DomainError) -> dict:
    """The refusal's field messages in the request's language (data such as clashes kept)."""
    return error.translated_details(_)


def apply_form_errors(form, error: DomainError, aliases: dict[str, str] | None = None) -> list[str]:
    """Put a refusal's field messages on the form's fields; return the others, translated.

    `aliases` maps a verb's field name to the form's (`start` → `start_time`).
    """
    rest: list[str] = []
    for key, messages in error_details(error).items():
        if key in DATA_DETAILS:
            continue
        messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        name = (aliases or {}).get(key, key)
        if name in form._fields and name != "csrf_token":
            form[name].errors = list(form[name].errors or []) + messages
        else:
            rest += messages
    return rest


def flash_form_errors(form, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """`apply_form_errors`, flashing what no field shows (the refusal's sentence if nothing does)."""
    rest = apply_form_errors(form, error, aliases)
    shown = any(form[(aliases or {}).get(k, k)].errors for k in error.details
                if (aliases or {}).get(k, k) in form._fields)
    for message in rest or ([] if shown else [error_message(error)]):
        flash(message, "danger")


# --- WTForms' own messages ------------------------------------------------------------------

#: WTForms ships no Vietnamese catalog: its stock messages are in ours (marked here)
WTFORMS_MESSAGES = (
    N_("This field is required."), N_("Not a valid choice."), N_("Not a valid integer value."),
    N_("Not a valid decimal value."), N_("Not a valid date value."), N_("Not a valid time value."),
    N_("Not a valid datetime value."), N_("Invalid email address."), N_("Invalid input."),
    N_("Number must be between %(min)s and %(max)s."), N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."), N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Invalid Choice: could not coerce."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Field must be equal to %(other_name)s."))
WTFORMS_PLURALS = (  # the plural forms are in the catalog with their singular
    (N_("Field must be at least %(min)d character long."), "Field must be at least %(min)d characters long."),
    (N_("Field cannot be longer than %(max)d character."), "Field cannot be longer than %(max)d characters."),
    (N_("Field must be exactly %(max)d character long."), "Field must be exactly %(max)d characters long."),
    (N_("'%(value)s' is not a valid choice for this field."),
     "'%(value)s' are not valid choices for this field."))


class _CatalogTranslations:
    """WTForms' translations object backed by our catalog (WTForms formats the result itself)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    """Every form of the app: WTForms' messages in the request's language."""

    class Meta:
        def get_translations(self, form):
            return _CatalogTranslations()
