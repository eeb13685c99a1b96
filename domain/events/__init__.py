"""Events: what happened to a grant. Past-tense names; stored forever.

Every event carries who (actor, role), when it took effect in the grant's life (`effective_at`,
business time; the store adds the recording time as `timestamp`), why (`reason`), under which rule
and legal basis, and the command that caused it. Payloads are JSON-shaped (documents are stored as
the dicts the region handed in), so an auditor can read the store without our classes.

One module per part of a grant's life (application, decisions, execution, letters, ending), on a shared
base (base.py: GrantEvent; records.py: the state records they build). Every event is stored under the topic
`domain.events:<ClassName>`, as before this package was split: each class takes this package's name as its
module (GrantEvent.__init_subclass__), and this package hands every class on under its own name, so a topic
resolves here. An event class added to the package must be named below too (tests/unit/test_event_topics.py).
"""

from domain.events.base import GrantEvent
from domain.events.application import (
    AdviceRecorded,
    ApplicationAccepted,
    ApplicationSubmitted,
    RepairRequested,
    RepairSubmitted,
    VooraanmeldingReceived,
)
from domain.events.decisions import ApplicationRejected, GrantApproved, ObjectionDecided, ObjectionFiled
from domain.events.execution import (
    DetailedPlanSubmitted,
    ExtensionGranted,
    ExtensionPlanSubmitted,
    FinalReportSubmitted,
    HourlyRateChanged,
    ProgressReportSubmitted,
)
from domain.events.letters import DecisionLetterIssued
from domain.events.advances import AdvancesScheduled
from domain.events.meldingen import GrantLowered, MeldingReceived
from domain.events.stages import (
    BesluitDrafted,
    BesluitSentBack,
    BesluitSigned,
    CaseClaimed,
    CaseEvent,
    CaseReleased,
    StagePassed,
)
from domain.events.ending import (
    ApplicationSetAside,
    DeadlineConsequence,
    DeadlineMissed,
    DecisionBecameFinal,
    DecisionTermExceeded,
    ExtensionForfeited,
    GrantDetermined,
    GrantLapsed,
    GrantWithdrawn,
    SpendingPeriodEnded,
)

__all__ = [
    "AdvancesScheduled", "GrantLowered", "MeldingReceived",
    "BesluitDrafted", "BesluitSentBack", "BesluitSigned", "CaseClaimed", "CaseEvent", "CaseReleased", "StagePassed",
    "AdviceRecorded", "ApplicationAccepted", "ApplicationRejected", "ApplicationSetAside", "ApplicationSubmitted",
    "DeadlineConsequence", "DeadlineMissed", "DecisionBecameFinal", "DecisionLetterIssued", "DecisionTermExceeded",
    "DetailedPlanSubmitted", "ExtensionForfeited", "ExtensionGranted", "ExtensionPlanSubmitted", "FinalReportSubmitted",
    "GrantApproved", "GrantDetermined", "GrantEvent", "GrantLapsed", "GrantWithdrawn", "HourlyRateChanged",
    "ObjectionDecided", "ObjectionFiled", "ProgressReportSubmitted", "RepairRequested", "RepairSubmitted",
    "SpendingPeriodEnded", "VooraanmeldingReceived",
]
