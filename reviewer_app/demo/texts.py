"""The words of the worked demo visit (``demo_visit.py``): findings, reasons, observations and
the report's passages, written the way review teams write them. Invented: no real service,
person or number (the phone number is in Ofcom's range for drama)."""

from __future__ import annotations

# Per category, the findings of a service component (the first set for the first component,
# the second for the others) and of a commissioning component; "concern" has two each.
FINDING_TEXTS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "general": (
        [
            "The {component} has developed considerably since the last review, with a new day "
            "unit and a stable team. Staff were welcoming and open throughout the visit."
        ],
        [
            "The {component} is small but committed, and works closely with the specialist "
            "centre. Staff knew their patients well."
        ],
        [
            "Commissioners attended the visit and were well informed about the service and its "
            "pressures."
        ],
    ),
    "good_practice": (
        [
            "The transition clinic, run jointly with the adult team, gives young people two "
            "years of planned preparation. The advice line (0121 496 0000) is answered by a "
            "specialist nurse 24 hours a day."
        ],
        [
            "Every patient had an individual care plan for a crisis, shared with the emergency "
            "department and the patient's GP."
        ],
        ["Network-wide data on emergency admissions are reviewed at each quarterly meeting."],
    ),
    "immediate_risk": (
        [
            "The blood storage fridge used for exchange transfusions was found unlocked and its "
            "temperature log had not been completed for eleven days. Staff could not say who "
            "was responsible for checking it."
        ],
        [
            "The resuscitation trolley on the children's ward had not been checked for three "
            "weeks and the defibrillator pads were out of date."
        ],
        [
            "There is no commissioned out-of-hours specialist advice for emergency departments "
            "outside the specialist centre, and two serious incidents in the last year cited this."
        ],
    ),
    "serious_concern": (
        [
            "Patients attending the emergency department in crisis waited a median of 95 "
            "minutes for pain relief in the last audit, against a standard of 30 minutes. There "
            "was no agreed action plan."
        ],
        [
            "There is a single specialist nurse with no cover for leave or sickness, and no "
            "plan to provide it."
        ],
        ["The network's psychology service has been unfunded since the last review."],
    ),
    "concern": (
        [
            "Annual reviews were not documented for about a third of the patients whose records "
            "the team looked at.",
            "Written information for patients was available only in English, although a large "
            "proportion of patients speak other languages at home.",
        ],
        [
            "Transcranial Doppler screening was not up to date for four of the ten children "
            "whose records the team looked at.",
            "Guidelines for the management of a crisis were past their review date.",
        ],
        [
            "Commissioners had not agreed activity and quality measures with the providers.",
            "The network's annual report had not been shared with the commissioners.",
        ],
    ),
    "further_consideration": (
        [
            "The service may wish to consider involving patients and carers in the next review "
            "of its written information, and sharing its transition work across the network."
        ],
        ["The team may wish to consider joint clinics with the specialist centre."],
        ["Commissioners may wish to consider a network-wide audit of emergency care."],
    ),
}


def finding_texts(category: str, component_index: int, commissioning: bool) -> list[str]:
    """The demo's findings of one category for one component (see FINDING_TEXTS)."""
    first, others, commissioners = FINDING_TEXTS[category]
    if commissioning:
        return commissioners
    return first if component_index == 0 else others


NOT_MET_REASONS = [
    "No evidence of this was provided or seen during the visit.",
    "Policy seen but past its review date and not yet updated.",
    "Arrangements described by staff but not written down.",
    "Audit not carried out in the last two years.",
    "Only some of the required parts were in place.",
]

NOT_APPLICABLE_REASONS = [
    "This service does not provide this care; patients are referred to the specialist centre.",
    "Not relevant to this component: provided by the network.",
]

MET_RATIONALES = [
    "Evidence seen and confirmed by staff and patients.",
    "Policy seen, in date and known to the staff the team met.",
    "Seen during the tour of the facilities.",
    "Documented and audited in the last year.",
]

OBSERVATIONS: list[tuple[str, str]] = [
    (
        "Patients described the day unit nurses as the best thing about the service.",
        "good_practice",
    ),
    ("The ward's leaflet rack had no information about the haemoglobinopathy service.", "concern"),
    (
        "Several staff were unsure how to escalate a patient in crisis out of hours.",
        "serious_concern",
    ),
]

REPORT_TEXTS: dict[str, str] = {
    "service_users": (
        "The review team met eight patients and four parents and carers. They were very positive "
        "about the specialist nurses and the day unit, and described the staff as kind and "
        "knowledgeable.\n\n"
        "Several described long waits for pain relief in the emergency department, and some "
        "parents said they had to explain their child's condition to each new doctor."
    ),
    "acknowledgements": (
        "The review team would like to thank the staff, patients and carers of Riverside "
        "University Hospitals NHS Trust for their welcome, their openness and the care that went "
        "into preparing for the review."
    ),
}

EXTRA_NAMES: list[tuple[str, str]] = [
    ("Dr Aisha Rahman", "Consultant haematologist"),
    ("Tomasz Wiśniewski", "Specialist nurse, haemoglobinopathies"),
    ("Chidi Okonkwo", "Clinical psychologist"),
    ("Mairéad Ní Bhriain", "Lead pharmacist, haematology"),
    ("Dr Rhys Llewellyn", "Consultant in emergency medicine"),
    ("Priya Raghavan", "Patient representative"),
    ("Kwame Asante", "Network manager"),
    ("Dr Søren Halvorsen", "Consultant paediatric haematologist"),
]
