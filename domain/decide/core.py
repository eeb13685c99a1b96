"""The frame every decision shares: what a decision may look at (Context), what it returns (Decision,
Reservation), how it refuses (refuse), and the lifecycle table of which command may come from which state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from domain import commands as c
from domain import events as e
from domain.authority.register import SHIPPED, Register
from domain.errors import TransitionRefused
from domain.regulation import Regulation
from domain.regulation.schemes import scoped
from domain.state import GrantState
from domain.timekeeping import local_date
from domain.values import DecisionKind, GrantStatus


AWB = "Algemene wet bestuursrecht"
S = GrantStatus

def allowed_from(command_type: type[c.Command], regulation: Regulation) -> frozenset[GrantStatus] | None:
    """From which states the scheme allows a command kind (None: the scheme has no such step).

    The engine's own steps, a passed deadline's consequence and a besluit's letter, are allowed in every state (an ended grant
    still has the objection term of its last besluit); the rest is the scheme's `[[steps]]`."""
    if command_type in (c.ApplyDeadlineConsequence, c.IssueDecisionLetter, *c.CASE_COMMANDS):
        return frozenset(GrantStatus)
    step = regulation.data.step(command_type.__name__)
    return None if step is None else frozenset(step.allowed_from)


@dataclass(frozen=True)
class Context:
    """What a decision may look at besides the grant: the regulation, the business time, and the organisation
    register (who holds which role and mandate; the shipped register unless a test gives another)."""

    regulation: Regulation
    effective_at: dt.datetime
    register: Register = SHIPPED
    # what the grant's money ledger holds as paid (domain/ledger/), for the vaststelling; None: no ledger (a grant of
    # before the ledger, or a check outside the store, as the workflow's validator makes): all advances taken as paid
    paid_cents: int | None = None

    @property
    def day(self) -> dt.date:
        return local_date(self.effective_at)

    def regeling(self, provision: str) -> str:
        """The regulation itself as the source, with the provision the rule rests on."""
        scheme = self.regulation.data.scheme
        if scheme is None:
            return f"{self.regulation.data.name}, {provision}"
        source = self.regulation.version(scheme.regeling).source
        return source.model_copy(update={"provision": provision, "citation": None}).label()


@dataclass(frozen=True)
class Decision:
    """The events a command causes: (event class, its specific fields), plus budget reservations."""

    events: list[tuple[type[e.GrantEvent], dict[str, Any]]]
    rule: str
    legal_basis: str
    reservations: list["Reservation"] = field(default_factory=list)


@dataclass(frozen=True)
class Reservation:
    """A claim on a programme-wide budget pool (ceiling per region kind, or the 2024 budget)."""

    pool: str
    per_year: dict[int, int]
    ceiling_param: str
    extension: bool = False
    release: bool = False  # give the region's claim on the pool back instead of claiming
    check_only: bool = False  # a draft: refuse now what its signature would be refused for, and claim nothing yet


def scheme_pool(ctx: Context, name: str) -> str:
    """A budget pool's key in the grant's scheme: 'ceiling:techniekregio' for the legacy scheme (as stored
    before schemes), 'sto-2025-2028/ceiling:techniekregio' for another."""
    scope = scoped(ctx.regulation.data.scheme.id) if ctx.regulation.data.scheme else None
    return name if scope is None else f"{scope}/{name}"


def ceiling_reservation(state: GrantState, amounts: dict[int, int], ctx: Context) -> Reservation:
    """A claim on the ceiling of the region's kind, in the grant's scheme (the scheme's data names the ceiling)."""
    kind = ctx.regulation.data.region_kind(state.kind.value)
    ceiling = kind.ceiling if kind is not None else f"ceiling_{state.kind.value}"
    return Reservation(pool=scheme_pool(ctx, f"ceiling:{state.kind.value}"), per_year=amounts, ceiling_param=ceiling)


def refuse(rule: str, message: str, source: str, hint: str | None = None, state: GrantState | None = None) -> TransitionRefused:
    return TransitionRefused(rule, message, source, hint=hint, status=state.status.value if state else None)



def _open_besluit(state: GrantState, command_type: type[c.Command]) -> frozenset[GrantStatus]:
    """An ended grant whose last besluit (vaststelling, intrekking) is still open to objection takes one."""
    decision = state.decision
    if (command_type is c.FileObjection and state.status in (S.DETERMINED, S.WITHDRAWN) and decision is not None
            and not decision.final and decision.kind in (DecisionKind.DETERMINATION, DecisionKind.WITHDRAWAL)):
        return frozenset({state.status})
    return frozenset()


# --- handlers ------------------------------------------------------------------------------


def _check_role(command: c.Command) -> None:
    if command.actor.role not in command.allowed_roles:
        raise refuse(
            "access.role",
            f"{command.name} may be sent by {', '.join(sorted(r.value for r in command.allowed_roles))}, "
            f"not by role {command.actor.role.value}",
            "STO engine access policy: DUS-I operators trigger transitions",
            "ask a DUS-I operator to send it",
        )


def _lifecycle_source(command: c.Command, ctx: Context) -> str:
    if isinstance(command, (c.FileObjection, c.DecideObjection)):
        return f"{AWB} art. 6:4, 6:7 en 7:11"
    if isinstance(command, (c.RequestRepair, c.SubmitRepair)):
        return f"{AWB} art. 4:5 en 4:15"
    return ctx.regeling("procedure van aanvraag tot vaststelling")


def check_years(state: GrantState, years_given: Iterable[int], ctx: Context, *, with_extension: bool, what: str,
                hint: str) -> None:
    """Refuse amounts for a year the subsidy does not cover (the funded years, and the extension year if asked)."""
    reg, day = ctx.regulation, ctx.day
    years = [int(y) for y in reg.param("funded_years", day).value]
    if with_extension and reg.has_param("extension_year", day):
        years.append(int(reg.param("extension_year", day).value))
    outside = sorted(set(years_given) - set(years))
    if outside:
        raise refuse(
            "money.year_outside_period",
            f"{what} can only be for {', '.join(map(str, years))}; not {', '.join(map(str, outside))}",
            reg.param("funded_years", day).source,
            hint,
            state,
        )
