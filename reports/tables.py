"""The report as titled tables in the reader's language: what the CSV and XLSX writers lay out.

Rules, organisers and districts are named first; their codes follow in a column of their own.
Counts stay integers and ratios floats (the XLSX keeps them numbers, the CSV writes them as the
locale does).
"""
from __future__ import annotations

from models.errors import N_

from .periods import parse_period
from .shapes import Report, Row
from .wording import Wording

FIGURES = (N_("Held"), N_("Held online"), N_("Cancelled"), N_("Awaiting outcome"),
           N_("Online ratio (%%)"), N_("Target (%%)"), N_("Gap (%%)"))
NOT_COVERED_NAME = N_("Not covered by a target")


def _figures(row: Row) -> list:
    return [row["held"], row["held_online"], row["cancelled"], row["awaiting_outcome"],
            row["ratio"], row.get("target"), row.get("gap")]


def report_tables(report: Report, words: Wording) -> list[tuple[str, list[str], list[list]]]:
    """(sheet title, headers, rows) per breakdown: rules, organisers, districts, attendance."""
    figures = [words(h) for h in FIGURES]
    rules = [[r["name"], r["code"], *_figures(r)] for r in report["rules"]]
    rules.append([words(NOT_COVERED_NAME), "", *_figures(report["not_covered"])])
    tables = [
        (words(N_("By target rule")), [words(N_("Target rule")), words(N_("Code")), *figures], rules),
        (words(N_("By organiser")), [words(N_("Organiser")), words(N_("Code")), words(N_("Level")),
                                     *figures],
         [[r.get("unit_name") or r["unit"], r["unit"], words.level(r["level"]) if r.get("level") else "",
           *_figures(r)] for r in report["organizers"]]),
        (words(N_("By district")), [words(N_("District (with its communes)")), words(N_("Code")), *figures],
         [[r.get("unit_name") or r["unit"], r["unit"], *_figures(r)] for r in report["districts"]]),
    ]
    if report.get("attendance"):
        a = report["attendance"]
        tables.append((words(N_("Attendance")),
                       [words(N_("Online meetings held")), words(N_("Invitations to units")),
                        words(N_("Connected")), words(N_("Confirmed beforehand")),
                        words(N_("Connected (%%)")), words(N_("Confirmed beforehand (%%)"))],
                       [[a["meetings"], a["invited"], a["connected"], a["confirmed_before"],
                         a["connected_share"], a["confirmed_share"]]]))
    return tables


def report_heading(report: Report, words: Wording) -> str:
    """ "Kỳ báo cáo: Tháng 3/2019 (bản chốt số 2)": the period in words, and the version if frozen."""
    text = words(N_("Report period: %(period)s"), period=words.period(parse_period(report["period"])))
    if report.get("frozen"):
        text += f" ({words(N_('Frozen version %(version)d'), version=report['version'])})"
    return text


def safe_text(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
