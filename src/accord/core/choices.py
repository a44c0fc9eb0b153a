"""Enumerations of the core domain, shared by models, filters, API and UI."""

from django.db import models

__all__ = ["OrganisationKind", "OrganisationStatus", "Region", "ReliabilityGrade", "Role", "Sector", "TokenScope"]


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
