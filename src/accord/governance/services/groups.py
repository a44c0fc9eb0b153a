"""Groups and memberships: the expert group and who may sit in it."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from accord.core.choices import OrganisationKind, OrganisationStatus, Region
from accord.core.guards import invalid, one_of
from accord.core.models import Organisation, User
from accord.governance.choices import GroupKind, MembershipRole
from accord.governance.models import Group, Membership
from accord.governance.services._common import _audit, _manage

# --- Groups and memberships -----------------------------------------------------------------------

EXPERT_GROUP_SLUG = "expert-group"
EXPERT_GROUP_NAME = "Global Cybercrime Expert Group"
# Who may sit in the expert group: police, private and academic experts (and the host's own).
EXPERT_KINDS = (
    OrganisationKind.LAW_ENFORCEMENT,
    OrganisationKind.INTERNATIONAL_ORG,
    OrganisationKind.PRIVATE,
    OrganisationKind.ACADEMIA,
)


@transaction.atomic
def groups_ensure() -> int:
    """Create the expert group and the five regional working groups where missing (``accord
    init``, the demo); existing ones are left as they are. Returns how many were created."""
    wanted = [
        {
            "kind": GroupKind.GLOBAL,
            "region": "",
            "slug": EXPERT_GROUP_SLUG,
            "name": EXPERT_GROUP_NAME,
            "description": "Experts from police, industry and academia: exchange of information and good "
            "practices, advice on the programme's strategy; meets with the regional groups when needed.",
        }
    ] + [
        {
            "kind": GroupKind.REGIONAL,
            "region": region.value,
            "slug": f"rwg-{region.value.replace('_', '-')}",
            "name": f"Regional Working Group for Heads of Cybercrime Units: {region.label}",
            "description": f"Heads of the cybercrime units of {region.label}: regular themed meetings, "
            "recommendations on capability development, operations, prevention and regional frameworks, "
            "and the planning of joint operations.",
        }
        for region in Region
    ]
    created = 0
    for fields in wanted:
        exists = Group.objects.filter(kind=fields["kind"], region=fields["region"]).exists()
        if not exists:
            group = Group.objects.create(**fields)
            _audit(None, "group.create", group, name=group.name)
            created += 1
    return created


def _may_join(group: Group, organisation: Organisation) -> None:
    if organisation.status != OrganisationStatus.ACTIVE:
        raise invalid(
            "person",
            f"{organisation.name} is {organisation.status}; only people of active organisations join a group.",
            "A person of an active organisation.",
        )
    if group.kind == GroupKind.REGIONAL:
        if organisation.kind != OrganisationKind.LAW_ENFORCEMENT:
            raise invalid(
                "person",
                f"a regional working group admits heads of law-enforcement units; {organisation.name} is "
                f"{organisation.get_kind_display().lower()}.",
                "A person of a law-enforcement organisation of the region.",
            )
        if organisation.region != group.region:
            raise invalid(
                "person",
                f"{organisation.name} is in {Region(organisation.region).label}, not in "
                f"{Region(group.region).label}: a regional working group admits units of its own region.",
                f"A person of a law-enforcement organisation in {Region(group.region).label}.",
            )
    elif organisation.kind not in EXPERT_KINDS:
        raise invalid("person", "the expert group admits police, private and academic experts.")


@transaction.atomic
def membership_add(
    *,
    actor: User | None,
    group: Group,
    person: User,
    role: str = MembershipRole.MEMBER,
    term_start: date,
    term_end: date | None = None,
) -> Membership:
    """Seat a person in a group. Regional groups admit heads of law-enforcement units of their
    region; the expert group police, private and academic experts. One open seat per person and
    group; one chair (and one vice-chair) at a time."""
    _manage(actor)
    one_of("role", role, MembershipRole)
    if term_end is not None and term_end < term_start:
        raise invalid("term_end", "the term ends before it starts.", "On or after term_start.")
    _may_join(group, person.organisation)
    current = Membership.objects.overlapping(term_start, term_end).filter(group=group)
    if current.filter(person=person).exists():
        raise invalid("person", f"{person} already holds a seat in {group.name} for that time.")
    if role in (MembershipRole.CHAIR, MembershipRole.VICE_CHAIR) and current.filter(role=role).exists():
        raise invalid("role", f"{group.name} already has a {MembershipRole(role).label.lower()} for that time.")
    membership = Membership.objects.create(
        group=group,
        person=person,
        organisation=person.organisation,
        role=role,
        term_start=term_start,
        term_end=term_end,
    )
    _audit(actor, "membership.add", membership, group=group.slug, person=person.username, role=role)
    return membership


@transaction.atomic
def membership_end(*, actor: User | None, membership: Membership, term_end: date) -> Membership:
    """End a seat's term (the record stays, for the meetings it attended)."""
    _manage(actor)
    if term_end < membership.term_start:
        raise invalid("term_end", "the term ends before it starts.", "On or after term_start.")
    membership.term_end = term_end
    membership.save(update_fields=["term_end"])
    _audit(actor, "membership.end", membership, term_end=term_end)
    return membership


def _is_member(person: User, groups: list[Group], day: date) -> bool:
    return Membership.objects.active_on(day).filter(group__in=groups, person=person).exists()
