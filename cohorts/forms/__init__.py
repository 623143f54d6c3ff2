"""The cohorts app's forms. Cohorts and applications live in ``applications`` (re-exported here);
review, decisions and events each have a module of their own, imported by name."""

from cohorts.forms.applications import (
    SECTION_FORMS,
    ApplicationStartForm,
    ChildrenForm,
    CohortCreateForm,
    CohortForm,
    CohortTransitionForm,
    ConfirmForm,
    DataForm,
    DataProtectionForm,
    ExtensionForm,
    InformationRequestForm,
    JointWorkingForm,
    OutcomesForm,
    PartnershipForm,
    PracticeForm,
    ReadinessForm,
    ScreeningForm,
)

__all__ = [
    "SECTION_FORMS",
    "ApplicationStartForm",
    "ChildrenForm",
    "CohortCreateForm",
    "CohortForm",
    "CohortTransitionForm",
    "ConfirmForm",
    "DataForm",
    "DataProtectionForm",
    "ExtensionForm",
    "InformationRequestForm",
    "JointWorkingForm",
    "OutcomesForm",
    "PartnershipForm",
    "PracticeForm",
    "ReadinessForm",
    "ScreeningForm",
]
