"""Writes to the trust registry. Every function is keyword-only and runs in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from buddying.importers import ImportRow, TrustClosure, changed_fields
from buddying.models import CultureProfile, ExpertiseArea, ImprovementNeed, ServiceLine, Trust, TrustExpertise, User
from buddying.postcodes import locate_postcode


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    # Closed trusts the file lists that the registry never held: there is nothing to mark closed.
    closed_left_out: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.closed_left_out:
            plural = "s" if self.closed_left_out != 1 else ""
            text += f", {self.closed_left_out} closed trust{plural} not in the registry left out"
        return text


@transaction.atomic
def trusts_import(*, records: Sequence[ImportRow]) -> ImportResult:
    """Upsert trusts by ODS code. The caller has checked every row, so this either writes all or raises.

    A new trust's type is left blank ("not known") and an existing trust's type is never changed:
    the files say nothing about type, and regulator staff record it on the trust's profile.
    A closure marks a trust already in the registry closed; a closed trust new to it is left out.
    """
    existing = {
        trust.ods_code: trust
        for trust in Trust.objects.select_for_update().filter(ods_code__in=[r.ods_code for r in records])
    }
    to_create: list[Trust] = []
    updated = unchanged = closed_left_out = 0
    for record in records:
        trust = existing.get(record.ods_code)
        if trust is None and isinstance(record, TrustClosure):
            closed_left_out += 1
            continue
        if trust is None:
            to_create.append(
                Trust(
                    ods_code=record.ods_code,
                    name=record.name,
                    postcode=record.postcode,
                    latitude=record.latitude,
                    longitude=record.longitude,
                    region=record.region,
                    closed_on=record.closed_on,
                    trust_type="",
                    # The legal name says it: "... NHS Foundation Trust".
                    is_foundation_trust="FOUNDATION TRUST" in record.name.upper(),
                )
            )
            continue
        fields = list(changed_fields(trust, record))
        if not fields:
            unchanged += 1
            continue
        for field in fields:
            setattr(trust, field, getattr(record, field))
        # save() rather than bulk_update so that the trust's history records the change.
        trust.save(update_fields=[*fields, "updated_at"])
        updated += 1
    for trust in to_create:
        trust.save()
    return ImportResult(created=len(to_create), updated=updated, unchanged=unchanged, closed_left_out=closed_left_out)


@transaction.atomic
def trust_update_profile(*, trust: Trust, by: User, fields: dict[str, Any], services: Iterable[ServiceLine]) -> Trust:
    """Save the profile form's fields. A changed postcode moves the trust to that postcode's centroid."""
    locked = Trust.objects.select_for_update().get(pk=trust.pk)
    postcode_changed = fields.get("postcode", locked.postcode) != locked.postcode
    for name, value in fields.items():
        setattr(locked, name, value)
    if postcode_changed:
        if locked.postcode:
            location = locate_postcode(locked.postcode)
            locked.latitude, locked.longitude = location.latitude, location.longitude
        else:
            locked.latitude = locked.longitude = None
    if locked.improvement_status == Trust.ImprovementStatus.NONE:
        locked.improvement_status_since = None
        locked.improvement_status_review_due = None
    locked._change_reason = f"Profile edited by {by.username}"  # read by django-simple-history
    locked.full_clean()
    locked.save()
    locked.services.set(services)
    return locked


def _replace_per_area(
    *,
    trust: Trust,
    model: type[TrustExpertise] | type[ImprovementNeed],
    fields: tuple[str, str],
    entries: Iterable[tuple[ExpertiseArea, int, str]],
) -> None:
    """Make the trust's rows of `model` exactly `entries`, one per area; rows kept are updated in place."""
    # Lock the trust so two editors saving at once cannot interleave their deletes and inserts.
    Trust.objects.select_for_update().filter(pk=trust.pk).first()
    entries = list(entries)
    areas = [area for area, _level, _note in entries]
    if len(set(areas)) != len(areas):
        raise ValueError("Each area can be listed once")
    model.objects.filter(trust=trust).exclude(area__in=areas).delete()
    level_field, note_field = fields
    for area, level, note in entries:
        model.objects.update_or_create(trust=trust, area=area, defaults={level_field: level, note_field: note})


@transaction.atomic
def trust_set_expertise(*, trust: Trust, by: User, entries: Iterable[tuple[ExpertiseArea, int, str]]) -> None:
    """Replace the trust's expertise with (area, strength 1-5, evidence) entries, one per area."""
    _replace_per_area(trust=trust, model=TrustExpertise, fields=("strength", "evidence"), entries=entries)


@transaction.atomic
def trust_set_needs(*, trust: Trust, by: User, entries: Iterable[tuple[ExpertiseArea, int, str]]) -> None:
    """Replace the trust's improvement needs with (area, priority, notes) entries, one per area.

    A need that stays keeps its original `recorded_at`: time from needs recorded to a buddy agreed
    is measured from when the need was first recorded.
    """
    _replace_per_area(trust=trust, model=ImprovementNeed, fields=("priority", "notes"), entries=entries)


@transaction.atomic
def culture_profile_save(*, trust: Trust, by: User, fields: dict[str, Any]) -> CultureProfile:
    profile, _created = CultureProfile.objects.select_for_update().get_or_create(trust=trust, defaults=fields)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile
