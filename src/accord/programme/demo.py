"""Demo data of secondment and training, on the organisations of the core and partnerships demos.

Halcyon (secondment agreement) and Kestrel second experts; one Halcyon analyst is placed with
the cyber fusion centre, another proposed; Kestrel's experts rank as candidates but lack a
secondment agreement. Five courses; sessions in Nairobi, Amman and online, sponsored by
Northwind (training-support agreement); officers of the Kenyan, Brazilian and Jordanian units
nominated. One session is moved into last month so that its attendance, scores and certificates
can be shown. Idempotent: nothing is added once the catalogue exists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accord.core.models import Organisation, User
from accord.programme.models import Course, TrainingSession
from accord.programme.services import (
    course_create,
    enrolment_complete,
    enrolment_confirm,
    enrolment_nominate,
    enrolment_record_attendance,
    expert_create,
    officer_create,
    request_create,
    secondment_propose,
    secondment_transition,
    session_create,
    sponsorship_create,
)

__all__ = ["load"]

# organisation, name, e-mail, title, skills, languages, clearance, clearance valid for (days)
EXPERTS: list[tuple[str, str, str, str, dict[str, int], str, str, int]] = [
    ("Halcyon", "Yuki Sato", "y.sato@halcyon.example", "Malware researcher",
     {"malware_analysis": 5, "threat_intelligence": 4, "incident_response": 3}, "ja:C2, en:C1", "secret", 900),
    ("Halcyon", "Kenji Ito", "k.ito@halcyon.example", "Incident responder",
     {"incident_response": 5, "digital_forensics": 4, "malware_analysis": 3}, "ja:C2, en:B2", "confidential", 600),
    ("Halcyon", "Aiko Tanaka", "a.tanaka@halcyon.example", "Threat intelligence analyst",
     {"threat_intelligence": 5, "osint": 4, "data_science": 3}, "ja:C2, en:C1, fr:B1", "secret", 120),
    ("Kestrel", "Tom Whitaker", "t.whitaker@kestrel.example", "Threat intelligence lead",
     {"threat_intelligence": 5, "malware_analysis": 4, "osint": 3}, "en:C2, fr:B2", "secret", 1200),
    ("Kestrel", "Priya Shah", "p.shah@kestrel.example", "SOC analyst",
     {"incident_response": 4, "malware_analysis": 2}, "en:C2, hi:C2", "none", 0),
    ("Northwind", "Chris Nguyen", "c.nguyen@northwind.example", "Cloud forensics trainer",
     {"digital_forensics": 5, "incident_response": 4}, "en:C2, es:B2", "restricted", 700),
    ("PICR", "James Walker", "j.walker@picr.example", "Research fellow",
     {"blockchain_analysis": 5, "data_science": 5, "osint": 3}, "en:C2", "none", 0),
]  # fmt: skip

COURSES = [
    ("CRY-201", "Cryptocurrency investigations", "Blockchain analysis", "intermediate", "hybrid", 5,
     "Trace funds across chains and mixers\nIdentify exchange deposit addresses\nPrepare freezing requests"),
    ("DFIR-101", "Digital forensics first responder", "Digital forensics", "foundation", "in_person", 3,
     "Seize and preserve devices soundly\nCapture volatile memory\nDocument the chain of custody"),
    ("OSINT-110", "Open-source intelligence for investigators", "OSINT", "foundation", "online", 2,
     "Search safely and anonymously\nVerify identities and images\nArchive evidence from the web"),
    ("RAN-301", "Ransomware incident response and investigation", "Incident response", "advanced", "in_person", 4,
     "Triage an intrusion\nRecover keys and negotiate safely\nAttribute infrastructure"),
    ("BEC-150", "Business email compromise investigations", "Cybercrime investigation", "intermediate", "hybrid",
     3, "Follow the money through mule accounts\nWork with banks on recalls\nBuild a cross-border case"),
]  # fmt: skip

# unit short name -> officers (name, rank, unit)
OFFICERS = {
    "KE-NCU": [("Grace Wanjiru", "Inspector", "Cybercrime Unit"), ("Peter Otieno", "Sergeant", "Cybercrime Unit"),
               ("Mercy Achieng", "Chief Inspector", "Financial Crimes"),
               ("Daniel Kiprop", "Constable", "Forensics Lab")],
    "BR-FCD": [("Ana Beatriz Lima", "Delegada", "DCIBER"), ("João Pereira", "Agente", "DCIBER"),
               ("Camila Rocha", "Perita", "Forensics")],
    "JO-CCU": [("Rami Khalil", "Captain", "Cybercrime Unit"), ("Nour Saleh", "Lieutenant", "Digital Evidence")],
}  # fmt: skip


def load() -> list[Any]:
    """Create the programme's demo data once; nothing to print."""
    if Course.objects.exists():
        return []
    today = timezone.localdate()
    by_short = {o.short_name: o for o in Organisation.objects.all()}
    if not {"Halcyon", "Northwind", "KE-NCU"} <= set(by_short):
        return []
    experts = {}
    for short, name, email, title, skills, languages, clearance, valid_days in EXPERTS:
        experts[name] = expert_create(
            actor=None,
            organisation=by_short[short],
            full_name=name,
            email=email,
            job_title=title,
            skills=skills,
            languages=[
                {"language": code, "proficiency": level}
                for code, level in (part.split(":") for part in languages.split(", "))
            ],
            clearance_level=clearance,
            clearance_expires=today + timedelta(days=valid_days) if clearance != "none" else None,
            availability=[{"start": today.isoformat(), "end": (today + timedelta(days=500)).isoformat()}],
            person=User.objects.filter(email=email).first(),
        )
    nightjar = request_create(
        actor=None,
        title="Malware analyst for the ransomware task force",
        unit="Cyber Fusion Centre",
        project="Operation Nightjar (ransomware affiliates)",
        purpose="operations_support",
        location_city="Singapore",
        location_country="SG",
        start=today + timedelta(days=7),
        end=today + timedelta(days=187),
        required_skills={"malware_analysis": 4, "threat_intelligence": 3},
        languages=[{"language": "en", "proficiency": "B2"}],
        clearance="secret",
        description="Reverse-engineer lockers and loaders, and brief member countries' units on each new variant.",
    )
    request_create(
        actor=None,
        title="Blockchain analyst for the crypto-asset tracing cell",
        unit="Cybercrime Intelligence",
        project="Crypto-asset tracing research",
        purpose="research",
        location_city="Singapore",
        location_country="SG",
        start=today + timedelta(days=30),
        end=today + timedelta(days=395),
        required_skills={"blockchain_analysis": 4, "data_science": 3},
        languages=[{"language": "en", "proficiency": "C1"}],
    )
    response = request_create(
        actor=None,
        title="Incident responder for the Africa desk",
        unit="Operations",
        project="Operation Sandstorm (business email compromise)",
        purpose="cyber_intelligence",
        location_city="Nairobi",
        location_country="KE",
        start=today + timedelta(days=14),
        end=today + timedelta(days=104),
        required_skills={"incident_response": 4, "digital_forensics": 3},
        clearance="confidential",
    )
    placed = secondment_propose(actor=None, secondment_request=nightjar, expert=experts["Yuki Sato"])
    secondment_transition(actor=None, secondment=placed, to="approved", reason="Interview passed.")
    secondment_propose(actor=None, secondment_request=response, expert=experts["Kenji Ito"])

    courses = {
        code: course_create(
            actor=None,
            code=code,
            title=title,
            topic=topic,
            level=level,
            delivery_mode=mode,
            duration_days=duration,
            learning_outcomes=outcomes,
        )
        for code, title, topic, level, mode, duration, outcomes in COURSES
    }
    northwind_staff = list(User.objects.filter(organisation=by_short["Northwind"], is_active=True)[:1])
    nairobi = session_create(
        actor=None, course=courses["CRY-201"], start=today + timedelta(days=30), end=today + timedelta(days=34),
        capacity=4, language="en", city="Nairobi", country="KE", trainer_experts=[experts["James Walker"]],
    )  # fmt: skip
    session_create(
        actor=None, course=courses["DFIR-101"], start=today + timedelta(days=45), end=today + timedelta(days=47),
        capacity=16, language="ar", city="Amman", country="JO", trainer_experts=[experts["Chris Nguyen"]],
    )  # fmt: skip
    session_create(
        actor=None, course=courses["OSINT-110"], start=today + timedelta(days=20), end=today + timedelta(days=21),
        capacity=40, language="es", online=True, region="americas", trainer_staff=northwind_staff,
    )  # fmt: skip
    held = session_create(
        actor=None, course=courses["BEC-150"], start=today + timedelta(days=1), end=today + timedelta(days=3),
        capacity=12, language="en", city="São Paulo", country="BR", trainer_experts=[experts["Kenji Ito"]],
    )  # fmt: skip
    northwind = by_short["Northwind"]
    sponsorship_create(
        actor=None, organisation=northwind, session=nairobi, kind="financial", amount="40000", currency="USD",
        description="Travel and accommodation of the participants.",
    )  # fmt: skip
    sponsorship_create(
        actor=None, organisation=northwind, course=courses["CRY-201"], kind="in_kind",
        in_kind_items=["trainers", "licences"], estimated_value="15000", currency="USD",
        description="Two trainers and forty analysis-platform licences for a year.",
    )  # fmt: skip

    officers = {
        short: [
            officer_create(
                actor=None,
                organisation=by_short[short],
                full_name=name,
                email=f"{name.split()[0].lower()}.{name.split()[-1].lower()}@police-{short.lower()}.example",
                rank=rank,
                unit=unit,
            )
            for name, rank, unit in people
        ]
        for short, people in OFFICERS.items()
        if short in by_short
    }
    for officer in officers.get("KE-NCU", []):
        enrolment = enrolment_nominate(actor=None, session=nairobi, officer=officer, waitlist=True)
        if enrolment.status == "nominated":
            enrolment_confirm(actor=None, enrolment=enrolment)
    if "JO-CCU" in officers:
        enrolment_nominate(actor=None, session=nairobi, officer=officers["JO-CCU"][0], waitlist=True)
    trainees = officers.get("BR-FCD", []) + officers.get("KE-NCU", [])[:1]
    enrolments = [enrolment_nominate(actor=None, session=held, officer=o) for o in trainees]
    for enrolment in enrolments:
        enrolment_confirm(actor=None, enrolment=enrolment)
    # The São Paulo session took place last month: attendance, scores, certificates.
    TrainingSession.objects.filter(pk=held.pk).update(start=today - timedelta(days=33), end=today - timedelta(days=31))
    for enrolment, score in zip(enrolments, [92, 78, 55, None], strict=False):
        enrolment_record_attendance(actor=None, enrolment=enrolment, attended=score is not None, score=score)
        if score is not None and score >= 70:
            enrolment_complete(actor=None, enrolment=enrolment)
    return []
