"""Enumerations of the core domain, shared by models, filters, API and UI."""

from django.db import models

__all__ = [
    "ContributionArea",
    "DataCategory",
    "OrganisationKind",
    "OrganisationStatus",
    "Purpose",
    "Region",
    "ReliabilityGrade",
    "Role",
    "Sector",
    "Tlp",
    "TokenScope",
]


class Region(models.TextChoices):
    """The programme's five regions, one Regional Working Group each."""

    AFRICA = "africa", "Africa"
    AMERICAS = "americas", "Americas"
    ASIA_SOUTH_PACIFIC = "asia_south_pacific", "Asia & South Pacific"
    EUROPE = "europe", "Europe"
    MENA = "mena", "Middle East & North Africa"


class OrganisationKind(models.TextChoices):
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    INTERNATIONAL_ORG = "international_org", "International organisation"
    PRIVATE = "private", "Private company"
    ACADEMIA = "academia", "Academia"


class Sector(models.TextChoices):
    """Industry sector, required for private organisations."""

    CYBERSECURITY = "cybersecurity", "Cybersecurity"
    INFORMATION_TECHNOLOGY = "information_technology", "Information technology"
    BANKING_FINANCE = "banking_finance", "Banking and finance"
    TELECOM = "telecom", "Telecommunications"
    OTHER = "other", "Other"


class OrganisationStatus(models.TextChoices):
    """Partnership status: an organisation reads shared data only while ``active``."""

    APPLICANT = "applicant", "Applicant"
    VETTING = "vetting", "Vetting"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class ReliabilityGrade(models.TextChoices):
    """Source reliability on the 4x4 (Admiralty-derived) scale used by law enforcement."""

    A = "A", "A: reliable"
    B = "B", "B: usually reliable"
    C = "C", "C: fairly reliable"
    D = "D", "D: not usually reliable"
    X = "X", "X: cannot be judged"


class Role(models.TextChoices):
    """What a person does on the platform; :mod:`accord.core.roles` says what each may do."""

    ADMIN = "admin", "Administrator"
    PROGRAMME_MANAGER = "programme_manager", "Programme manager"
    ANALYST = "analyst", "Analyst"
    PARTNER_CONTRIBUTOR = "partner_contributor", "Partner contributor"
    PARTNER_READER = "partner_reader", "Partner reader"
    AUDITOR = "auditor", "Auditor"


class TokenScope(models.TextChoices):
    """What an API token may be used for, capped by its owner's role."""

    READ = "read", "Read"
    WRITE = "write", "Write"
    TAXII = "taxii", "TAXII"
    ADMIN = "admin", "Administration"


class Tlp(models.TextChoices):
    """Traffic Light Protocol 2.0 labels, least to most restricted (FIRST TLP 2.0)."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for CLEAR up to 4 for RED."""
        return _TLP_ORDER.index(value)

    @classmethod
    def up_to(cls, ceiling: str) -> list[str]:
        """Every label no more restricted than ``ceiling``."""
        return list(_TLP_ORDER[: cls.rank(ceiling) + 1])


# The labels in order, once: ``Tlp.values`` builds the choices, labels and all, on every use, and
# the policy ranks a label on every decision.
_TLP_ORDER: tuple[str, ...] = tuple(Tlp.values)


class DataCategory(models.TextChoices):
    """What kind of data an object is; agreements say which categories flow where."""

    TECHNICAL_INDICATOR = "technical_indicator", "Technical indicator"
    FINANCIAL_IDENTIFIER = "financial_identifier", "Financial identifier"
    PERSONAL_DATA = "personal_data", "Personal data"
    MALWARE_SAMPLE = "malware_sample", "Malware sample"
    INCIDENT_REPORT = "incident_report", "Incident report"


class Purpose(models.TextChoices):
    """Why data is processed (purpose limitation, EU Directive 2016/680 style)."""

    INVESTIGATION = "investigation", "Investigation"
    PREVENTION = "prevention", "Prevention"
    RESEARCH = "research", "Research"
    TRAINING = "training", "Training"


class ContributionArea(models.TextChoices):
    """How a partner supports the programme (the partnership options offered to applicants)."""

    INFORMATION_SHARING = "information_sharing", "Information sharing"
    SECONDMENT = "secondment", "Secondment of experts"
    INTELLIGENCE_ANALYSIS = "intelligence_analysis", "Intelligence analysis"
    TRAINING = "training", "Training and capacity building"
    OTHER = "other", "Other"
