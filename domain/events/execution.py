"""Events while a grant runs: progress reports, plans, the 2024 extension, hourly rates, the final report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.events.base import GrantEvent, _besluit
from domain.events.records import _extension_plan, _record, _years
from domain.state import DetailedPlanRecord, FinalReportRecord, GrantState, HourlyRateRecord, ProgressReportRecord
from domain.values import DecisionKind, GrantStatus


class ProgressReportSubmitted(GrantEvent):
    number: int
    summary: str
    spent_cents: int
    cofinancing_realised_cents: int
    late: bool

    def evolve(self, state: GrantState) -> None:
        state.progress_reports.append(
            _record(
                ProgressReportRecord,
                number=self.number,
                submitted_on=self.effective_on,
                summary=self.summary,
                spent_cents=self.spent_cents,
                cofinancing_realised_cents=self.cofinancing_realised_cents,
                late=self.late,
            )
        )


class ExtensionPlanSubmitted(GrantEvent):
    plan: dict[str, Any]

    def evolve(self, state: GrantState) -> None:
        state.extension.plan = _extension_plan(self.plan)
        state.extension.plan_submitted_on = self.effective_on


class DetailedPlanSubmitted(GrantEvent):
    """A detailed plan and budget (uitgewerkt plan) for some years of a multi-year grant."""

    plan_key: str
    plan: dict[str, Any]
    years: list[int]
    late: bool

    def evolve(self, state: GrantState) -> None:
        state.detailed_plans[self.plan_key] = _record(
            DetailedPlanRecord, submitted_on=self.effective_on, plan=_extension_plan(self.plan),
            years=[int(y) for y in self.years], late=self.late,
        )


class ExtensionGranted(GrantEvent):
    """Version 3 (2026-12): the extension is a besluit, with the day it was sent and its year."""

    class_version = 3

    amount_cents: int
    cap_cents: int
    year: int | None
    sent_on: dt.date | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["year"] = None
        state["sent_on"] = None

    def evolve(self, state: GrantState) -> None:
        state.extension.granted_cents = self.amount_cents
        state.extension.granted_on = self.effective_on
        _besluit(state, DecisionKind.EXTENSION, self.effective_on, self.sent_on,
                 {self.year: self.amount_cents} if self.year else None, self)


class HourlyRateChanged(GrantEvent):
    rate_cents: int
    motivation: str | None
    granted_cents: int  # unchanged: recorded to show that a rate never changes the grant

    def evolve(self, state: GrantState) -> None:
        state.hourly_rates.append(
            _record(HourlyRateRecord, recorded_on=self.effective_on, rate_cents=self.rate_cents, motivation=self.motivation)
        )


class FinalReportSubmitted(GrantEvent):
    summary: str
    realised_per_year: dict[str, int]
    cofinancing_realised_cents: int
    late: bool

    def evolve(self, state: GrantState) -> None:
        state.final_report = _record(
            FinalReportRecord,
            submitted_on=self.effective_on,
            summary=self.summary,
            realised_per_year=_years(self.realised_per_year),
            cofinancing_realised_cents=self.cofinancing_realised_cents,
            late=self.late,
        )
        state.status = GrantStatus.FINAL_REPORT_SUBMITTED
