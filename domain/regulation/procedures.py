"""How a besluit is taken: its procedure (the stages in order, the role that takes each, the questions of each
stage's checklist) as the scheme's data declares it.

A besluit command (a verlening, an afwijzing, a vaststelling, ...) opens its procedure: the one who sends it takes
the first stage (the draft). Each further stage is passed or sent back by someone holding the stage's role for the
scheme; the stage that `signs` is taken under a mandate (domain/authority/register.py), and the besluit takes
effect only then. Modelled on DUS-I's own portal (stages per subsidy, a role per stage, checklists, "4-ogen
principe; user can't assess more than 1 stage" unless a stage allows it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from domain.regulation.source import LegalSource, _Frozen


class Question(_Frozen):
    """One question of a stage's checklist: a form field (from which the stage's JSON Schema is made)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,60}$")
    label_nl: str
    kind: Literal["bool", "text", "choice"] = "bool"
    required: bool = True
    # a yes/no question the stage cannot be passed without answering yes ("De beschikking mag verzonden worden")
    must_be_true: bool = False
    options: list[str] = Field(default_factory=list)  # of a choice
    # the besluit commands it is asked for (empty: all of the procedure's); DUS-I's required_condition, simply
    for_commands: list[str] = Field(default_factory=list)

    def asked_for(self, command: str) -> bool:
        return not self.for_commands or command in self.for_commands

    def json_schema(self) -> dict[str, object]:
        if self.kind == "bool":
            schema: dict[str, object] = {"type": "boolean"}
            if self.must_be_true:
                schema["const"] = True
        elif self.kind == "choice":
            schema = {"type": "string", "enum": list(self.options)}
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": 2000}
        return {"title": self.label_nl, **schema}


class Stage(_Frozen):
    """One stage of a procedure, taken by one person holding `role` for the scheme."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title_nl: str
    role: str
    questions: list[Question] = Field(default_factory=list)
    signs: bool = False  # taken under a mandate: the besluit takes effect when this stage is passed
    # whether one person may take this stage and another of the same case (DUS-I: allow_duplicate_assessors)
    same_person_allowed: bool = False

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def answers_schema(self) -> dict[str, object]:
        """The JSON Schema of this stage's answers, made from its questions."""
        return {
            "type": "object",
            "title": self.title_nl,
            "properties": {q.id: q.json_schema() for q in self.questions},
            "required": [q.id for q in self.questions if q.required],
            "additionalProperties": False,
        }


class Procedure(_Frozen):
    """The stages a kind of besluit goes through before it takes effect."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title_nl: str
    commands: list[str] = Field(min_length=1)  # the besluit commands that open it (ApproveGrant, RejectApplication)
    stages: list[Stage] = Field(min_length=2)
    source: LegalSource

    @model_validator(mode="after")
    def _signed_last(self) -> "Procedure":
        ids = [s.id for s in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError(f"procedure {self.id}: each stage id once ({ids})")
        signing = [s.id for s in self.stages if s.signs]
        if signing != [self.stages[-1].id]:
            raise ValueError(f"procedure {self.id}: exactly its last stage signs (signing: {signing or 'none'})")
        if self.stages[0].questions and any(q.required for q in self.stages[0].questions):
            raise ValueError(f"procedure {self.id}: the first stage is the draft; its content is the besluit itself")
        return self

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def index(self, stage_id: str) -> int:
        return [s.id for s in self.stages].index(stage_id)


# The engine's own procedure for a besluit whose scheme declares none: a draft and a signature by two people.
# Four eyes hold for every besluit of every scheme; a scheme can only ask for more.
DEFAULT_PROCEDURE_SOURCE = LegalSource(
    instrument="Algemene wet bestuursrecht", provision="art. 10:1–10:3 (mandaat); vier-ogenprincipe (DUS-I werkwijze)",
    citation="BWBR0005537", confirmed=False,
)


def default_procedure(command: str) -> Procedure:
    return Procedure(
        id="besluit", title_nl="Besluit", commands=[command], source=DEFAULT_PROCEDURE_SOURCE,
        stages=[
            Stage(id="beoordeling", title_nl="Beoordeling", role="beoordelaar"),
            Stage(id="ondertekening", title_nl="Ondertekening onder mandaat", role="coordinator", signs=True),
        ],
    )
