"""Demo data of the core app: the host, national units and partners in all five regions, people.

Idempotent: what exists (by organisation name or username) is left as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from accord.core.choices import OrganisationKind as K
from accord.core.choices import OrganisationStatus as S
from accord.core.choices import Role
from accord.core.choices import Sector as Sec
from accord.core.models import Organisation, User
from accord.core.second_factor import second_factor_required
from accord.core.services import host_ensure, organisation_create, person_create

__all__ = ["DEMO_PASSWORD", "DemoLogin", "load"]

DEMO_PASSWORD = os.environ.get("ACCORD_DEMO_PASSWORD", "accord-demo-2026")
HOST_NAME = "International Cybercrime Directorate"

# name, short name, kind, sector, country, target status, reliability, website. Organisations start
# in vetting (or as applicants); the partnerships demo activates their agreements, which makes
# them active, and applies the sanctions that make one suspended.
ORGANISATIONS = [
    ("Kenya National Cybercrime Unit", "KE-NCU", K.LAW_ENFORCEMENT, "", "KE", S.ACTIVE, "A", ""),
    ("Brazil Federal Cybercrime Division", "BR-FCD", K.LAW_ENFORCEMENT, "", "BR", S.ACTIVE, "A", ""),
    ("Jordan Cybercrime Unit", "JO-CCU", K.LAW_ENFORCEMENT, "", "JO", S.ACTIVE, "A", ""),
    ("Kestrel Threat Labs", "Kestrel", K.PRIVATE, Sec.CYBERSECURITY, "GB", S.ACTIVE, "B", "https://kestrel.example"),
    ("Halcyon Security", "Halcyon", K.PRIVATE, Sec.CYBERSECURITY, "JP", S.ACTIVE, "B", "https://halcyon.example"),
    (
        "Northwind Cloud Services",
        "Northwind",
        K.PRIVATE,
        Sec.INFORMATION_TECHNOLOGY,
        "US",
        S.ACTIVE,
        "B",
        "https://northwind.example",
    ),
    (
        "Atlas Bank Group",
        "Atlas Bank",
        K.PRIVATE,
        Sec.BANKING_FINANCE,
        "AE",
        S.ACTIVE,
        "B",
        "https://atlasbank.example",
    ),
    (
        "Banco Meridional",
        "Meridional",
        K.PRIVATE,
        Sec.BANKING_FINANCE,
        "AR",
        S.ACTIVE,
        "C",
        "https://meridional.example",
    ),
    ("Orion Telecom", "Orion", K.PRIVATE, Sec.TELECOM, "DE", S.SUSPENDED, "C", "https://orion-telecom.example"),
    ("Cape Coast Centre for Cyber Forensics", "CCCF", K.ACADEMIA, "", "GH", S.ACTIVE, "C", "https://cccf.example"),
    ("Pacific Institute of Cyber Research", "PICR", K.ACADEMIA, "", "AU", S.ACTIVE, "C", "https://picr.example"),
]

# username, first, last, role, organisation short name ("" = host), job title
PEOPLE = [
    ("admin", "Amara", "Okafor", Role.ADMIN, "", "Platform administrator"),
    ("manager", "Lucía", "Fernández", Role.PROGRAMME_MANAGER, "", "Partnerships programme manager"),
    ("analyst", "Rahul", "Menon", Role.ANALYST, "", "Cyber intelligence analyst"),
    ("auditor", "Ingrid", "Halvorsen", Role.AUDITOR, "", "Data protection officer"),
    ("contributor", "Tom", "Whitaker", Role.PARTNER_CONTRIBUTOR, "Kestrel", "Threat intelligence lead"),
    ("reader", "Priya", "Shah", Role.PARTNER_READER, "Kestrel", "SOC analyst"),
    ("k.mwangi", "Kevin", "Mwangi", Role.PARTNER_CONTRIBUTOR, "KE-NCU", "Head of unit"),
    ("a.njeri", "Alice", "Njeri", Role.PARTNER_READER, "KE-NCU", "Investigator"),
    ("r.costa", "Rafael", "Costa", Role.PARTNER_CONTRIBUTOR, "BR-FCD", "Chief inspector"),
    ("l.almeida", "Larissa", "Almeida", Role.PARTNER_READER, "BR-FCD", "Analyst"),
    ("o.haddad", "Omar", "Haddad", Role.PARTNER_CONTRIBUTOR, "JO-CCU", "Head of unit"),
    ("l.nasser", "Lina", "Nasser", Role.PARTNER_READER, "JO-CCU", "Investigator"),
    ("y.sato", "Yuki", "Sato", Role.PARTNER_CONTRIBUTOR, "Halcyon", "Malware researcher"),
    ("k.ito", "Kenji", "Ito", Role.PARTNER_READER, "Halcyon", "Incident responder"),
    ("m.reyes", "Maria", "Reyes", Role.PARTNER_CONTRIBUTOR, "Northwind", "Abuse desk manager"),
    ("c.nguyen", "Chris", "Nguyen", Role.PARTNER_READER, "Northwind", "Trust and safety analyst"),
    ("f.alnuaimi", "Fatima", "Al Nuaimi", Role.PARTNER_CONTRIBUTOR, "Atlas Bank", "Fraud intelligence lead"),
    ("h.karimi", "Hassan", "Karimi", Role.PARTNER_READER, "Atlas Bank", "AML investigator"),
    ("d.ruiz", "Diego", "Ruiz", Role.PARTNER_CONTRIBUTOR, "Meridional", "Head of financial crime"),
    ("v.sosa", "Valentina", "Sosa", Role.PARTNER_READER, "Meridional", "Fraud analyst"),
    ("k.vogel", "Katrin", "Vogel", Role.PARTNER_CONTRIBUTOR, "Orion", "Head of abuse handling"),
    ("s.becker", "Stefan", "Becker", Role.PARTNER_READER, "Orion", "Security engineer"),
    ("e.mensah", "Esi", "Mensah", Role.PARTNER_CONTRIBUTOR, "CCCF", "Senior lecturer"),
    ("k.owusu", "Kofi", "Owusu", Role.PARTNER_READER, "CCCF", "Research assistant"),
    ("j.walker", "James", "Walker", Role.PARTNER_CONTRIBUTOR, "PICR", "Research fellow"),
    ("n.tane", "Nikau", "Tane", Role.PARTNER_READER, "PICR", "Doctoral researcher"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: str
    second_factor: bool = False  # the role must enrol an authenticator at first sign-in


def load() -> list[DemoLogin]:
    """Create what is missing; return the logins to print (one per role)."""
    host = host_ensure(name=HOST_NAME, country="SG", short_name="ICD")
    for name, short, kind, sector, country, status, grade, website in ORGANISATIONS:
        if not Organisation.objects.filter(name=name).exists():
            organisation_create(
                actor=None,
                name=name,
                short_name=short,
                kind=kind,
                sector=sector,
                country=country,
                status=S.APPLICANT if status == S.APPLICANT else S.VETTING,
                reliability=grade,
                website=website,
            )
    by_short = {o.short_name: o for o in Organisation.objects.all()}
    for username, first, last, role, org_short, title in PEOPLE:
        if User.objects.filter(username=username).exists():
            continue
        organisation = by_short[org_short] if org_short else host
        domain = organisation.website.removeprefix("https://") or "icd.example"
        person_create(
            actor=None,
            organisation=organisation,
            username=username,
            email=f"{username}@{domain}",
            role=role,
            first_name=first,
            last_name=last,
            job_title=title,
            password=DEMO_PASSWORD,
        )
    logins = []
    for role in Role:
        person = User.objects.filter(role=role, is_active=True).select_related("organisation").order_by("pk").first()
        if person is not None:
            logins.append(
                DemoLogin(person.username, role.label, person.organisation.name, second_factor_required(person))
            )
    return logins
