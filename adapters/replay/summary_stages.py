"""How the replayed besluiten went through their stages, counted from the grants' events: drafted, stages passed,
sent back, signed (per mandate), and what still waits in a stage when the replay ends."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StageCounts(BaseModel):
    drafted: int = 0  # BesluitDrafted: a besluit command drafted its besluit (its first stage)
    passed: int = 0  # StagePassed: a stage between the draft and the signature
    sent_back: int = 0  # BesluitSentBack
    signed: int = 0  # BesluitSigned: the signing stage took the besluit under a mandate
    by_mandate: dict[str, int] = Field(default_factory=dict)  # signatures per mandate of the organisation register
    waiting: int = 0  # grants whose besluit waits in a stage at the end of the replay

    def count(self, event: object) -> None:
        name = type(event).__name__
        if name == "BesluitDrafted":
            self.drafted += 1
        elif name == "StagePassed":
            self.passed += 1
        elif name == "BesluitSentBack":
            self.sent_back += 1
        elif name == "BesluitSigned":
            self.signed += 1
            mandate = str(getattr(event, "signature", {}).get("mandate", "?"))
            self.by_mandate[mandate] = self.by_mandate.get(mandate, 0) + 1

    def line(self) -> str:
        mandates = ", ".join(f"{m} {n}" for m, n in sorted(self.by_mandate.items(), key=lambda i: -i[1]))
        waiting = f"{self.waiting} waiting in a stage" if self.waiting else "none waiting in a stage"
        back = f", {self.sent_back} sent back" if self.sent_back else ""
        return (f"besluiten through their stages: {self.drafted} drafted, {self.passed} stages passed{back}, "
                f"{self.signed} signed under a mandate ({mandates or 'none'}); {waiting}")
