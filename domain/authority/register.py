"""The organisation register: the people who act for DUS-I, the roles each holds per scheme, and the mandates
under which besluiten are signed. Dated and versioned data with its source, like the regulation
(`domain/regulation/data/organisation/register.toml`): a version is in force from its `valid_from` until the next
one's; a change is a new version appended, never an edit of one already in force (tests/unit/test_register.py
holds each version's digest).

A mandate (Awb 10:1) lets its holders take besluiten of some kinds, up to an amount, in the name of an organ
(10:2); a sub-mandate (ondermandaat) only from a mandate that allows it (10:9). The signature a letter prints is
made from the chain: "de minister van ..., namens deze, <mandate's title>, voor deze, <sub-mandate's title>"
(10:10); each besluit keeps the wording it was signed with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator

from domain.regulation.source import LegalSource, _Frozen

DATA = Path(__file__).resolve().parent.parent / "regulation" / "data" / "organisation" / "register.toml"
ANY_SCHEME = "*"
ROLES = ("beoordelaar", "interne_controle", "coordinator", "jurist", "betaalfiatteur")
BESLUIT_KINDS = ("approval", "rejection", "extension", "determination", "withdrawal", "objection_decision", "claim",
                 "lowering")
# what a volmacht covers besides besluiten (Awb 10:12: mandate's rules apply to a volmacht): releasing a payment
ACT_KINDS = ("payment",)


class Person(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9.\-]{1,60}$")  # the actor name in commands, tokens and events
    display_name: str
    # roles per scheme id ("*": every scheme)
    roles: dict[str, list[str]] = Field(default_factory=dict)

    def roles_for(self, scheme: str) -> set[str]:
        return set(self.roles.get(scheme, [])) | set(self.roles.get(ANY_SCHEME, []))


class Mandate(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]{1,40}$")
    title: str  # how the signature names the holder's office ("het afdelingshoofd Dienst Uitvoering ...")
    on_behalf_of: str  # the organ (mandaatgever) whose besluit it is: "de minister van Onderwijs, ..."
    besluiten: list[str]  # BESLUIT_KINDS
    schemes: list[str] = Field(default_factory=lambda: [ANY_SCHEME])
    max_cents: int | None = None  # None: no limit
    holders: list[str] = Field(default_factory=list)  # people by name
    holder_roles: list[str] = Field(default_factory=list)  # or everyone holding one of these roles for the scheme
    sub_mandate_of: str | None = None
    may_sub_mandate: bool = False
    source: LegalSource

    def covers(self, kind: str, scheme: str, amount_cents: int) -> bool:
        in_scheme = ANY_SCHEME in self.schemes or scheme in self.schemes
        return kind in self.besluiten and in_scheme and (self.max_cents is None or amount_cents <= self.max_cents)


class RegisterVersion(_Frozen):
    number: int = Field(ge=1)
    valid_from: dt.date
    summary: str
    source: LegalSource
    people: list[Person] | None = None  # None: as in the version before
    mandates: list[Mandate] | None = None


class Signature(_Frozen):
    """What a besluit records of the mandate it was signed under: enough to print its letter again, ever."""

    mandate: str
    register_version: int
    on_behalf_of: str
    lines: list[str]
    signer: str
    signer_display_name: str
    source: str


class RegisterView(_Frozen):
    """The register as in force on one day."""

    version: RegisterVersion
    people: list[Person]
    mandates: list[Mandate]

    def person(self, name: str) -> Person | None:
        return next((p for p in self.people if p.name == name), None)

    def roles_of(self, name: str, scheme: str) -> set[str]:
        person = self.person(name)
        return person.roles_for(scheme) if person else set()

    def holders_of(self, role: str, scheme: str) -> list[Person]:
        return [p for p in self.people if role in p.roles_for(scheme)]

    def mandates_of(self, name: str, scheme: str) -> list[Mandate]:
        roles = self.roles_of(name, scheme)
        return [m for m in self.mandates if name in m.holders or roles & set(m.holder_roles)]

    def mandate(self, mandate_id: str) -> Mandate | None:
        return next((m for m in self.mandates if m.id == mandate_id), None)

    def chain(self, mandate: Mandate) -> list[Mandate]:
        """The mandate and those it was sub-mandated from, the top first."""
        chain = [mandate]
        while chain[0].sub_mandate_of is not None:
            parent = self.mandate(chain[0].sub_mandate_of)
            assert parent is not None  # checked at load
            chain.insert(0, parent)
        return chain

    def signature(self, mandate: Mandate, signer: Person) -> Signature:
        chain = self.chain(mandate)
        lines = [f"{chain[0].on_behalf_of},", "namens deze,", f"{chain[0].title},"]
        for sub in chain[1:]:
            lines += ["voor deze,", f"{sub.title},"]
        lines += ["", signer.display_name]
        return Signature(
            mandate=mandate.id, register_version=self.version.number, on_behalf_of=chain[0].on_behalf_of, lines=lines,
            signer=signer.name, signer_display_name=signer.display_name,
            source=f"{mandate.source.label()}; Algemene wet bestuursrecht art. 10:1, 10:2, 10:10"
                   + (" en 10:9 (ondermandaat)" if len(chain) > 1 else ""),
        )


class Register(_Frozen):
    name: str
    versions: list[RegisterVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Register":
        numbers = [v.number for v in self.versions]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"register versions are numbered 1, 2, ... in order; found {numbers}")
        days = [v.valid_from for v in self.versions]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("register versions take effect one after another (valid_from ascending, distinct)")
        if self.versions[0].people is None or self.versions[0].mandates is None:
            raise ValueError("the first register version lists people and mandates")
        for version in self.versions:
            self._check(self.view_of(version))
        return self

    @staticmethod
    def _check(view: RegisterView) -> None:
        for person in view.people:
            unknown = {r for roles in person.roles.values() for r in roles} - set(ROLES)
            if unknown:
                raise ValueError(f"register v{view.version.number}: {person.name} holds unknown roles {sorted(unknown)}")
        for mandate in view.mandates:
            unknown = set(mandate.besluiten) - set(BESLUIT_KINDS) - set(ACT_KINDS)
            if unknown:
                raise ValueError(f"mandate {mandate.id}: unknown kinds {sorted(unknown)}")
            if mandate.sub_mandate_of is not None:
                parent = view.mandate(mandate.sub_mandate_of)
                if parent is None or not parent.may_sub_mandate:
                    raise ValueError(f"mandate {mandate.id}: a sub-mandate only of a mandate that allows it (Awb 10:9)")
                if (parent.max_cents is not None and (mandate.max_cents is None or mandate.max_cents > parent.max_cents)) \
                        or set(mandate.besluiten) - set(parent.besluiten):
                    raise ValueError(f"mandate {mandate.id}: a sub-mandate cannot give more than {parent.id} holds")
            for name in mandate.holders:
                if view.person(name) is None:
                    raise ValueError(f"mandate {mandate.id}: holder {name} is not in the register")

    def view_of(self, version: RegisterVersion) -> RegisterView:
        people: list[Person] = []
        mandates: list[Mandate] = []
        for v in self.versions[: version.number]:
            people = v.people if v.people is not None else people
            mandates = v.mandates if v.mandates is not None else mandates
        return RegisterView(version=version, people=people, mandates=mandates)

    def on(self, day: dt.date) -> RegisterView | None:
        """The register in force on `day`; None before its first version."""
        in_force = [v for v in self.versions if v.valid_from <= day]
        return self.view_of(in_force[-1]) if in_force else None

    def digest(self, number: int) -> str:
        """A version's content as written (fields left at their defaults left out, so that a field the model gains
        later does not change it), hashed: a version in force is never edited."""
        version = self.versions[number - 1]
        return hashlib.sha256(version.model_dump_json(exclude_defaults=True).encode()).hexdigest()


def load_register(path: Path = DATA) -> Register:
    with path.open("rb") as fh:
        return Register.model_validate(tomllib.load(fh))


@lru_cache(maxsize=1)
def shipped_register() -> Register:
    return load_register()


SHIPPED = shipped_register()  # loaded at import, before any workflow sandbox
