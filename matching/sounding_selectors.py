"""Reads for soundings before procurement: the lists, the summary (willingness by expertise area and by region, and
the cost of the incentives asked for against the framework's fee scale) and the worklist entries. Each runs a fixed
number of queries, whatever the number of trusts asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from buddying.models import ExpertiseArea, Region, User
from buddying.permissions import is_regulator_or_admin
from buddying.worklist import WorkItem
from matching.models import Framework, Sounding, SoundingIncentive, SoundingResponse, SoundingWillingness

NO_REGION = "Region not recorded"


def soundings_for_regulator(*, framework: Framework | None = None) -> QuerySet[Sounding]:
    """Every sounding (or one framework's) with how many trusts were asked and how many have answered: one query."""
    soundings = Sounding.objects.select_related("framework").annotate(
        asked=Count("responses"), answered=Count("responses", filter=~Q(responses__willingness=""))
    )
    if framework is not None:
        soundings = soundings.filter(framework=framework)
    return soundings


def soundings_for_executive(user: User) -> QuerySet[SoundingResponse]:
    """The executive's own trust's place in every sounding that asked it, open ones first: one query."""
    if user.trust_id is None:
        return SoundingResponse.objects.none()
    return (
        SoundingResponse.objects.filter(trust_id=user.trust_id)
        .select_related("sounding__framework")
        .order_by("-sounding__status", "-sounding__created_at", "-pk")
    )


@dataclass
class Tally:
    """Answers in one group (an expertise area or a region): how many said yes, maybe or no, and the places
    offered (how many trusts they could support at once, as BuddyCapacity counts them)."""

    label: str
    yes: int = 0
    maybe: int = 0
    no: int = 0
    waiting: int = 0
    places_yes: int = 0
    places_maybe: int = 0

    def add(self, response: SoundingResponse) -> None:
        places = response.max_concurrent_arrangements or 0
        if response.willingness == SoundingWillingness.YES:
            self.yes += 1
            self.places_yes += places
        elif response.willingness == SoundingWillingness.MAYBE:
            self.maybe += 1
            self.places_maybe += places
        elif response.willingness == SoundingWillingness.NO:
            self.no += 1
        else:
            self.waiting += 1


@dataclass(frozen=True)
class FeeAsked:
    response: SoundingResponse
    asked: Decimal  # the fee asked for the whole capacity offered, a year
    scale: Decimal | None  # what the framework's fee scale pays for that capacity, a year

    @property
    def difference(self) -> Decimal | None:
        return None if self.scale is None else self.asked - self.scale


@dataclass
class SoundingSummary:
    sounding: Sounding
    responses: list[SoundingResponse]
    overall: Tally
    by_area: list[Tally]
    by_region: list[Tally]
    scale_fee: Decimal | None  # the framework's annual fee for the sounding's tier, for one trust supported
    fees: list[FeeAsked] = field(default_factory=list)
    incentive_counts: list[tuple[str, int]] = field(default_factory=list)
    first_refusals: list[SoundingResponse] = field(default_factory=list)

    @property
    def fees_asked_total(self) -> Decimal:
        return sum((fee.asked for fee in self.fees), Decimal(0))

    @property
    def fees_scale_total(self) -> Decimal | None:
        if self.scale_fee is None:
            return None
        return sum((fee.scale or Decimal(0) for fee in self.fees), Decimal(0))

    @property
    def fees_difference(self) -> Decimal | None:
        scale = self.fees_scale_total
        return None if scale is None else self.fees_asked_total - scale

    @property
    def fees_difference_size(self) -> Decimal | None:
        """How far the fees asked are from the scale, whichever way (the page says "more" or "less")."""
        difference = self.fees_difference
        return None if difference is None else abs(difference)

    @property
    def places_without_fee(self) -> int:
        """Places offered by a yes or a maybe that needs no fee (none, or a first refusal)."""
        return sum(
            response.max_concurrent_arrangements or 0
            for response in self.responses
            if response.willingness in SoundingResponse.OFFERING and response.incentive != SoundingIncentive.FEE
        )


def summarise(*, responses: Sequence[SoundingResponse], lots: Sequence[ExpertiseArea], scale_fee: Decimal | None):  # type: ignore[no-untyped-def]
    """The arithmetic of the summary, from answers already read (each with its trust and its areas prefetched).

    Areas count the yeses and maybes that offered them (a no offers no expertise, so it is counted by region only);
    regions count every trust asked. A fee asked is for each trust supported, a year, as the fee scale is: so the
    cost of an answer is its fee times the places it offers, set against the scale's fee for the same places."""
    overall = Tally("All trusts asked")
    areas = {area.pk: Tally(area.name) for area in lots}
    regions = {value: Tally(label) for value, label in Region.choices}
    no_region = Tally(NO_REGION)
    fees: list[FeeAsked] = []
    incentives = dict.fromkeys(SoundingIncentive.values, 0)
    first_refusals = []
    for response in responses:
        overall.add(response)
        (regions.get(response.trust.region) or no_region).add(response)
        if response.willingness not in SoundingResponse.OFFERING:
            continue
        for area in response.areas.all():
            if area.pk in areas:
                areas[area.pk].add(response)
        incentives[response.incentive] += 1
        places = response.max_concurrent_arrangements or 0
        if response.incentive == SoundingIncentive.FEE and response.fee_amount is not None:
            fees.append(
                FeeAsked(
                    response=response,
                    asked=response.fee_amount * places,
                    scale=None if scale_fee is None else scale_fee * places,
                )
            )
        elif response.incentive in {
            SoundingIncentive.ACQUISITION_FIRST_REFUSAL,
            SoundingIncentive.CHAIN_FIRST_REFUSAL,
        }:
            first_refusals.append(response)
    by_region = [tally for tally in regions.values() if tally.yes + tally.maybe + tally.no + tally.waiting]
    if no_region.yes + no_region.maybe + no_region.no + no_region.waiting:
        by_region.append(no_region)
    return {
        "overall": overall,
        "by_area": list(areas.values()),
        "by_region": by_region,
        "fees": fees,
        "incentive_counts": [(SoundingIncentive(value).label, count) for value, count in incentives.items()],
        "first_refusals": first_refusals,
    }


def sounding_summary(*, sounding: Sounding) -> SoundingSummary:
    """The regulator's summary of one sounding, in four queries: the fee scale, the lots, the answers with their
    trusts, and the answers' areas."""
    fee = sounding.framework.fees.filter(tier=sounding.tier).values_list("annual_fee", flat=True).first()
    lots = list(sounding.framework.lots.order_by("name"))
    responses = list(sounding.responses.select_related("trust").prefetch_related("areas").order_by("trust__name"))
    return SoundingSummary(
        sounding=sounding,
        responses=responses,
        scale_fee=fee,
        **summarise(responses=responses, lots=lots, scale_fee=fee),
    )


def worklist(user: User) -> list[WorkItem]:
    """Executives: soundings their trust has still to answer. Regulator staff: soundings open, with replies in."""
    today = timezone.localdate()
    url = reverse("matching:sounding-list")
    if is_regulator_or_admin(user):
        totals = Sounding.objects.open().aggregate(
            open=Count("pk", distinct=True),
            asked=Count("responses"),
            answered=Count("responses", filter=~Q(responses__willingness="")),
            earliest=Min("reply_by"),
        )
        return [
            WorkItem(
                title="Soundings open",
                count=totals["open"],
                url=url,
                overdue=totals["earliest"] is not None and totals["earliest"] < today,
                detail=f"{totals['answered']} of {totals['asked']} trusts asked have replied",
            )
        ]
    if getattr(user, "is_trust_executive", False) and user.trust_id:
        waiting = SoundingResponse.objects.filter(
            trust_id=user.trust_id, willingness="", sounding__status=Sounding.Status.OPEN
        ).aggregate(count=Count("pk"), earliest=Min("sounding__reply_by"))
        return [
            WorkItem(
                title="Soundings to answer",
                count=waiting["count"],
                url=url,
                overdue=waiting["earliest"] is not None and waiting["earliest"] < today,
            )
        ]
    return []
