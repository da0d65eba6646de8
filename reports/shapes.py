"""The report's shape: what the template, the CSV and XLSX writers, the API and `diff_reports` read.

A report is plain data (JSON-ready dicts), typed here so each reader and the one writer
(`online_ratio.assemble`) agree on the keys.
"""
from __future__ import annotations

from typing import NotRequired, TypedDict


class Row(TypedDict):
    """The SPEC's ROW: meeting counts and the online ratio (percent, one decimal; None when none held)."""

    held: int
    held_online: int
    cancelled: int
    awaiting_outcome: int
    ratio: float | None


class TargetRow(Row):
    """A ROW measured against a target: gap = ratio - target (None when either is None)."""

    target: float | None
    gap: float | None


class RuleRow(TargetRow):
    """A target rule's figures."""

    code: str
    name: str
    levels: list[str]
    categories: list[str]


class UnitRow(TargetRow):
    """An organiser's (with its level) or a district's figures."""

    unit: str
    unit_name: str
    level: NotRequired[str]


class Report(TypedDict):
    """A period's report, live (`frozen` False, `version` None) or a frozen version."""

    period: str
    rules: list[RuleRow]
    not_covered: Row
    organizers: list[UnitRow]
    districts: list[UnitRow]
    frozen: NotRequired[bool]
    version: NotRequired[int | None]
    frozen_at: NotRequired[str]


class FigureChange(TypedDict):
    """One figure that differs between a frozen version and the live report."""

    section: str
    key: str
    name: str
    field: str
    frozen: int | float | None
    live: int | float | None
