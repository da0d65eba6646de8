"""Forms of the meeting pages, their labels, and the booking data they turn into."""
from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models.base import LOCAL
from models.errors import N_, ValidationFailed
from models.meetings import DESCRIPTION_MAX, LOCATION_MAX, TITLE_MAX
from scheduler.participants import GROUPS, resolve_participants

from .form_fields import ClockField, DayField
from .labels import CATEGORY_LABELS, MODE_LABELS, RESPONSE_LABELS, STATUS_LABELS, Form  # noqa: F401

GROUP_LABELS = {"all:districts_and_communes": _l("Every district and commune"),
                "all:districts": _l("All districts"), "all:communes": _l("All communes"),
                "all:departments": _l("All departments")}
REPEAT_LABELS = {"none": _l("Does not repeat"), "daily": _l("Daily"),
                 "weekly": _l("Weekly, on the chosen weekdays"),
                 "monthly": _l("Monthly, on the same day of the month")}
WEEKDAYS = (("MO", _l("Mon")), ("TU", _l("Tue")), ("WE", _l("Wed")), ("TH", _l("Thu")),
            ("FR", _l("Fri")), ("SA", _l("Sat")), ("SU", _l("Sun")))
SCOPE_LABELS = {"this": _l("This occurrence only"), "following": _l("This and the following ones"),
                "all": _l("All occurrences")}


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ParticipantPicker:
    """The participant picker: group toggles, "all communes of a district", single units (a tree
    of checkboxes, see meetings/_macros.html), and free codes or selectors."""

    groups = MultiCheckboxField(_l("Groups"), choices=options(GROUP_LABELS.items()))
    districts = MultiCheckboxField(_l("All communes of these districts"), validate_choice=False)
    units = MultiCheckboxField(_l("Single units"), validate_choice=False)
    codes = StringField(_l("Other unit codes or selectors, comma-separated"),
                        validators=[Optional(), Length(max=5000)],
                        render_kw={"placeholder": "legacy:00001, subtree:legacy:002"})
    #: the levels each group toggle covers, for the picker's script
    group_levels = {key: " ".join(levels) for key, levels in GROUPS.items()}

    def participant_items(self) -> list[str]:
        """The picker's choices as the booking verbs' references and selectors."""
        items = list(self.groups.data or [])
        items += [f"communes:{ref}" for ref in self.districts.data or []]
        items += list(self.units.data or [])
        items += [c.strip() for c in (self.codes.data or "").split(",") if c.strip()]
        return list(dict.fromkeys(items))


class TimesMixin:
    date = DayField(_l("Date"), validators=[InputRequired()])
    start_time = ClockField(_l("Start"), validators=[InputRequired()])
    end_time = ClockField(_l("End"), validators=[InputRequired()])

    def instants(self) -> tuple[datetime, datetime]:
        """The start and end as aware instants, from local date and times."""
        return local_instant(self.date.data, self.start_time.data), \
            local_instant(self.date.data, self.end_time.data)

    def set_times(self, start: datetime, end: datetime) -> None:
        """Fill date and times from instants (over what was submitted)."""
        for fld, value in ((self.date, start.astimezone(LOCAL).date()),
                           (self.start_time, start.astimezone(LOCAL).time()),
                           (self.end_time, end.astimezone(LOCAL).time())):
            fld.raw_data, fld.data, fld.errors = None, value, []


class BookingForm(Form, TimesMixin, ParticipantPicker):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    category = SelectField(_l("Category"), choices=options(CATEGORY_LABELS.items()))
    organizer = SelectField(_l("Organiser"), validate_choice=False)
    mode = SelectField(_l("Mode"), choices=options(MODE_LABELS.items()), default="online")
    location = StringField(_l("Location"), validators=[Optional(), Length(max=LOCATION_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    bridge = SelectField(_l("Bridge"), validate_choice=False)
    repeat = SelectField(_l("Repeats"), choices=options(REPEAT_LABELS.items()), default="none")
    interval = IntegerField(_l("Every"), default=1, validators=[Optional(), NumberRange(1, 52)])
    weekdays = MultiCheckboxField(_l("On"), choices=options(WEEKDAYS))
    until = DayField(_l("Until (date)"), validators=[Optional()])
    count = IntegerField(_l("Number of times"), validators=[Optional(), NumberRange(1, 366)])
    strict = BooleanField(_l("Refuse if a participant has no ready endpoint"))
    skip_holidays = BooleanField(_l("Skip non-working days (holidays, days off)"))

    def rrule(self) -> str | None:
        """The repetition as an RRULE, or None. :raise ValidationFailed: on count and until."""
        freq = self.repeat.data
        if freq not in ("daily", "weekly", "monthly"):
            return None
        if bool(self.count.data) == bool(self.until.data):
            message = N_("Give either a number of times or an end date.")
            raise ValidationFailed({"count": message, "until": message})
        parts = [f"FREQ={freq.upper()}"]
        if (self.interval.data or 1) > 1:
            parts.append(f"INTERVAL={self.interval.data}")
        if freq == "weekly":
            days = self.weekdays.data or [WEEKDAYS[self.date.data.weekday()][0]]
            parts.append("BYDAY=" + ",".join(d for d, _ in WEEKDAYS if d in days))
        if freq == "monthly":
            parts.append(f"BYMONTHDAY={self.date.data.day}")
        parts.append(f"COUNT={self.count.data}" if self.count.data
                     else f"UNTIL={self.until.data:%Y%m%d}")
        return ";".join(parts)

    def booking_data(self) -> dict:
        """The data `book_meeting` and `preview_booking` take."""
        start, end = self.instants()
        return {"title": self.title.data, "category": self.category.data,
                "organizer": self.organizer.data, "mode": self.mode.data, "start": start,
                "end": end, "participants": self.participant_items(),
                "bridge": bridge_id(self.bridge.data), "rrule": self.rrule(),
                "strict": bool(self.strict.data), "skip_holidays": bool(self.skip_holidays.data),
                "description": self.description.data or None,
                "location": self.location.data or None}


class EditForm(Form, TimesMixin, ParticipantPicker):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    mode = SelectField(_l("Mode"), choices=options(MODE_LABELS.items()))
    location = StringField(_l("Location"), validators=[Optional(), Length(max=LOCATION_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    bridge = SelectField(_l("Bridge"), validate_choice=False)
    scope = RadioField(_l("Apply to"), choices=options(SCOPE_LABELS.items()), default="this")

    def change_data(self, meeting, invited: list[str]) -> dict:
        """Only what differs from the meeting, as `change_meeting` takes it."""
        start, end = self.instants()
        data = {}
        for key, value in (("title", self.title.data), ("mode", self.mode.data),
                           ("location", self.location.data or None),
                           ("description", self.description.data or None),
                           ("start", start), ("end", end)):
            current = getattr(meeting, {"start": "start_at", "end": "end_at"}.get(key, key))
            if value != current:
                data[key] = value
        if bridge_id(self.bridge.data) not in (None, meeting.bridge_id):
            data["bridge"] = bridge_id(self.bridge.data)
        items = self.participant_items()
        # The picker may send a group toggle beside the units it covers: compare whom they invite.
        if sorted(items) != sorted(invited) and {u.ref for u in resolve_participants(
                items, meeting.organizer)} != set(invited):
            data["participants"] = items
        return data


class CancelForm(Form):
    scope = SelectField(_l("Apply to"), choices=options(SCOPE_LABELS.items()), default="this")
    reason = TextAreaField(_l("Reason (told to the invited units)"), validators=[DataRequired(), Length(max=2000)])


class OutcomeForm(Form):
    status = RadioField(_l("Outcome"), choices=options([("held", _l("Held")),
                                                         ("cancelled", _l("Cancelled"))]),
                        validators=[DataRequired()])
    mode = SelectField(_l("Held as"), choices=options(MODE_LABELS.items()))
    connected = MultiCheckboxField(_l("Units that connected"), validate_choice=False)


def local_instant(day: date, at: time) -> datetime:
    """A local date and wall-clock time in Asia/Ho_Chi_Minh as an aware instant."""
    return datetime.combine(day, at, tzinfo=LOCAL)


def bridge_id(value: str | None) -> int | None:
    """The chosen bridge's id, None for none. :raise ValidationFailed: when it is no id."""
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise ValidationFailed({"bridge": N_("Choose a bridge from the list.")})
    return int(value)
