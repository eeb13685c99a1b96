"""A scripted grant life under STO 2025–2028: every command names the scheme (tests, fixture stores)."""

from __future__ import annotations

from domain import commands as c
from domain.models import Partner
from domain.values import PartnerKind
from adapters.replay.synthetic import extension_plan
from tests.support.scripted import GrantScript, at

NEW = "sto-2025-2028"
PER_YEAR_2025 = {2025: 900_000_00, 2026: 900_000_00, 2027: 800_000_00, 2028: 800_000_00}


class Script2025(GrantScript):
    """The same region, its grant under 2025–2028: every command names the scheme."""

    def send(self, command_class, when, **fields):
        fields.setdefault("scheme", NEW)
        return super().send(command_class, when, **fields)

    @property
    def scheme_id(self) -> str | None:
        return NEW

    def pre_register(self, when=at(2024, 5, 15), *, po_partner: bool = True, **changes):
        fields = self.region.vooraanmelding_fields()
        fields.pop("region_code")
        if po_partner:
            fields["partners"] = [*fields["partners"], Partner(name="Stichting Primair Onderwijs West", kind=PartnerKind.PO_SCHOOL_BOARD)]
        fields.update(changes)
        return self.send(c.SubmitVooraanmelding, when, **fields)

    def to_approved_2025(self):
        self.pre_register()
        self.apply(1, at(2024, 9, 16))
        self.accept(at(2024, 10, 10))
        self.advise(at(2024, 12, 5))
        return self.approve(at(2025, 1, 20))

    def detailed_plan(self, key: str, when, cents: int):
        plan = extension_plan(self.region, cents, year=int(key[:4]))
        return self.send(c.SubmitDetailedPlan, when, plan_key=key, plan=plan)
