"""Demo data of governance: seats in the groups, meetings (one joint) with minutes and
recommendations, the good-practices library, and the conference with its alternating hosts
(the joint operations are :mod:`accord.operations.demo`).

Idempotent: it adds nothing once the groups have members.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accord.core.choices import OrganisationKind, OrganisationStatus
from accord.core.models import Organisation, User
from accord.core.services import organisation_create
from accord.governance import services
from accord.governance.models import Group, Membership

__all__ = ["load"]

SECOND_HOST = "European Cybercrime Coordination Centre"

# username, group slug, role
SEATS = [
    ("k.mwangi", "rwg-africa", "chair"),
    ("a.njeri", "rwg-africa", "member"),
    ("r.costa", "rwg-americas", "chair"),
    ("l.almeida", "rwg-americas", "vice_chair"),
    ("o.haddad", "rwg-mena", "chair"),
    ("l.nasser", "rwg-mena", "member"),
    ("manager", "expert-group", "chair"),
    ("y.sato", "expert-group", "member"),
    ("contributor", "expert-group", "member"),
    ("e.mensah", "expert-group", "member"),
    ("j.walker", "expert-group", "observer"),
    ("k.mwangi", "expert-group", "member"),
]

MINUTES = """## Attendance
Heads of unit of Kenya and the host's regional desk; apologies noted below.

## Decisions
1. **Business email compromise** stays the first operational priority for 2027.
2. The group adopts the draft terms for a regional *BEC reporting channel*.
3. Members share mule-account findings through the platform, marked TLP:AMBER.

## Next meeting
Joint session with the expert group, during the annual conference.
"""


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _people() -> dict[str, User]:
    return {u.username: u for u in User.objects.select_related("organisation")}


def load() -> list[Any]:
    services.groups_ensure()
    if Membership.objects.exists():
        return []
    people = _people()
    if "manager" not in people:
        return []
    manager = people["manager"]
    groups = {g.slug: g for g in Group.objects.all()}
    today = timezone.localdate()
    term = date(today.year - 1, 1, 1)
    for username, slug, role in SEATS:
        person = people.get(username)
        if person is not None and person.organisation.status == OrganisationStatus.ACTIVE:
            services.membership_add(actor=None, group=groups[slug], person=person, role=role, term_start=term)
    _meetings(manager, groups, people, today)
    _practices(groups, people)
    _conference(manager, people, today)
    return []


def _meetings(manager: User, groups: dict[str, Group], people: dict[str, User], today: date) -> None:
    past = today - timedelta(days=75)
    africa = services.meeting_schedule(
        actor=None,
        title="Regional Working Group Africa: 12th meeting",
        groups=[groups["rwg-africa"]],
        starts_at=_at(past, 8),
        ends_at=_at(past, 16),
        city="Nairobi",
        country="KE",
        themes=["business email compromise", "mule accounts"],
        agenda=["Opening and adoption of the agenda", "Country updates", "BEC reporting channel", "Joint operations"],
    )
    services.meeting_set_minutes(actor=None, meeting=africa, minutes=MINUTES)
    for username, status in (("k.mwangi", "attended"), ("a.njeri", "apologies")):
        if username in people:
            services.attendance_record(actor=None, meeting=africa, person=people[username], status=status)
    channel = services.recommendation_create(
        actor=None,
        meeting=africa,
        group=groups["rwg-africa"],
        title="Set up a regional BEC reporting channel",
        area="operational",
        text="A single channel for banks and units to report BEC cases within 24 hours.",
        owner=people.get("k.mwangi"),
        due_date=today - timedelta(days=10),
    )
    for step in ("adopted", "in_progress"):
        services.recommendation_transition(actor=None, recommendation=channel, to=step, note="Agreed at the meeting.")
    services.action_item_add(
        actor=None, recommendation=channel, description="Draft the channel's terms of reference", due_date=today
    )
    training = services.recommendation_create(
        actor=None,
        meeting=africa,
        group=groups["rwg-africa"],
        title="Train first responders in volatile-evidence handling",
        area="capability_development",
        due_date=today + timedelta(days=120),
    )
    services.recommendation_transition(actor=None, recommendation=training, to="adopted")
    framework = services.recommendation_create(
        actor=None,
        meeting=africa,
        group=groups["rwg-africa"],
        title="Map national laws on cross-border preservation requests",
        area="regional_framework",
        due_date=today - timedelta(days=30),
    )
    for step in ("adopted", "in_progress", "implemented"):
        services.recommendation_transition(actor=None, recommendation=framework, to=step)

    soon = today + timedelta(days=40)
    services.meeting_schedule(
        actor=None,
        title="Expert group with the Americas and MENA working groups",
        groups=[groups["expert-group"], groups["rwg-americas"], groups["rwg-mena"]],
        starts_at=_at(soon, 9),
        ends_at=_at(soon, 17),
        city="Singapore",
        country="SG",
        themes=["romance scams", "cryptojacking"],
        agenda=["Trends from the analysts", "Planning Operation Heartbreak", "Advice on the 2027 strategy"],
        guests=[p for p in [people.get("f.alnuaimi")] if p is not None],
    )
    later = today + timedelta(days=90)
    americas = services.meeting_schedule(
        actor=None,
        title="Regional Working Group Americas: spring meeting",
        groups=[groups["rwg-americas"]],
        starts_at=_at(later, 9),
        ends_at=_at(later, 16),
        city="Brasília",
        country="BR",
        themes=["ransomware", "phishing kits"],
        agenda=["Ransomware negotiations: what units see", "Phishing-kit takedowns with registrars"],
    )
    # The host unit asked for a second day, for the registrars' session.
    services.meeting_update(
        actor=None,
        meeting=americas,
        ends_at=_at(later + timedelta(days=1), 13),
        agenda=[*americas.agenda, "Joint session with domain registrars (day two)"],
    )


def _practices(groups: dict[str, Group], people: dict[str, User]) -> None:
    expert = groups["expert-group"]
    entries = [
        (
            "y.sato",
            "Triage of infected hosts in cryptojacking cases",
            "digital_forensics",
            "amber",
            ["cryptojacking", "triage"],
            "1. Capture memory **before** pulling the plug.\n2. Record miner pool addresses and wallet ids.\n",
        ),
        (
            "e.mensah",
            "Interviewing romance-scam victims",
            "investigation_techniques",
            "green",
            ["romance-scam", "victims"],
            "Open questions first; avoid blame. Collect chat exports with their metadata.",
        ),
        (
            "contributor",
            "Working with registrars on phishing domains",
            "industry_cooperation",
            "clear",
            ["phishing", "dns"],
            "Send evidence bundles in the registrar's abuse format; expect action within 48 hours.",
        ),
    ]
    for username, title, topic, tlp, tags, body in entries:
        author = people.get(username)
        if author is not None:
            services.practice_create(actor=None, group=expert, title=title, topic=topic, tlp=tlp, tags=tags, body=body)


def _conference(manager: User, people: dict[str, User], today: date) -> None:
    host = Organisation.objects.get(is_host=True)
    second = Organisation.objects.filter(name=SECOND_HOST).first() or organisation_create(
        actor=None,
        name=SECOND_HOST,
        short_name="EC3C",
        kind=OrganisationKind.INTERNATIONAL_ORG,
        country="NL",
        status=OrganisationStatus.VETTING,
        description="Co-organiser of the annual cybercrime conference.",
    )
    services.conference_configure(actor=None, first_host=host, second_host=second, first_year=2013)
    venues = {
        host.pk: ("Marina Convention Centre", "Singapore", "SG"),
        second.pk: ("World Forum", "The Hague", "NL"),
    }
    year = today.year
    editions = {}
    for y, theme in (
        (year - 1, "Public–private action against ransomware"),
        (year, "Following the money"),
        (year + 1, "Cybercrime without borders"),
    ):
        expected = services.expected_host(y)
        venue, city, country = venues[expected.pk]
        editions[y] = services.edition_create(
            actor=None,
            year=y,
            host=expected,
            theme=theme,
            venue=venue,
            city=city,
            country=country,
            start_date=date(y, 10, 6),
            end_date=date(y, 10, 8),
            capacity=400,
            cfp_closes=date(y, 6, 30),
        )
    current = editions[year]
    for title, kind, day, hour, speakers in (
        (
            "Opening keynote: the money trail",
            "keynote",
            0,
            9,
            [("Lucía Fernández", "International Cybercrime Directorate", "international_org")],
        ),
        (
            "BEC: what banks and units learnt together",
            "panel",
            0,
            11,
            [
                ("Fatima Al Nuaimi", "Atlas Bank Group", "private"),
                ("Kevin Mwangi", "Kenya National Cybercrime Unit", "law_enforcement"),
                ("Esi Mensah", "Cape Coast Centre for Cyber Forensics", "academia"),
            ],
        ),
        ("Crypto tracing workshop", "workshop", 1, 14, [("Yuki Sato", "Halcyon Security", "private")]),
    ):
        start = _at(current.start_date + timedelta(days=day), hour)
        services.session_create(
            actor=None,
            edition=current,
            title=title,
            kind=kind,
            starts_at=start,
            ends_at=start + timedelta(minutes=90),
            room="Hall A",
            speakers=[{"name": n, "organisation": o, "sector": s} for n, o, s in speakers],
        )
    attendees = [
        ("Kevin Mwangi", "KE", "law_enforcement", True),
        ("Rafael Costa", "BR", "law_enforcement", True),
        ("Omar Haddad", "JO", "law_enforcement", False),
        ("Tom Whitaker", "GB", "private", True),
        ("Fatima Al Nuaimi", "AE", "private", True),
        ("Diego Ruiz", "AR", "private", False),
        ("Esi Mensah", "GH", "academia", True),
        ("James Walker", "AU", "academia", True),
    ]
    for name, country, sector, came in attendees:
        email = f"{name.lower().replace(' ', '.')}@conference.example"
        registration = services.registration_create(
            actor=None, edition=current, name=name, email=email, sector=sector, country=country
        )
        if came:
            services.registration_mark_attended(actor=None, registration=registration)
    upcoming = editions[year + 1]
    author = people.get("j.walker")
    if upcoming.cfp_closes and upcoming.cfp_closes >= today:
        services.paper_submit(
            actor=author,
            edition=upcoming,
            title="Measuring the harm of romance scams",
            abstract="A survey of 2,000 victims in the South Pacific.",
            speaker_name="James Walker",
            speaker_organisation="Pacific Institute of Cyber Research",
            speaker_sector="academia",
        )
