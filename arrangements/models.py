"""Buddying arrangements as living records: terms of reference, work programme, inputs, reviews, ending.

The 2014 review's findings shape this: clear terms of reference with timescales and shared
expectations, support tiered to need, capacity respected on both sides, costs recorded, either
party free to end a poor fit, and progress reviewed periodically.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from buddying.history import HistoryKeepingQuerySet
from buddying.models import ExpertiseArea, Trust
from matching.models import CommitmentTier


def _in(field: str, choices: type[models.Choices]) -> Q:
    return Q(**{f"{field}__in": list(choices.values)})


class Origin(models.TextChoices):
    SELF_PROPOSED = "self-proposed", "Self-proposed by the trust"
    REGULATOR_SUGGESTED = "regulator-suggested", "Suggested by the regulator"
    FRAMEWORK_CALL_OFF = "framework-call-off", "Called off from the superbuddy framework"


# One tier enumeration for the pool's fee scale and for arrangements.
Tier = CommitmentTier


class Status(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    AGREED = "agreed", "Agreed"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    TERMINATED = "terminated", "Ended early"


# The sets of states, named once: services, selectors, reports, the reminder sweep and pages ask for them by
# name (templates through `Arrangement.is_open`, `is_running` and `is_closed`).
# Open: it holds a buddy's place (one open arrangement per supported-buddy pair) and can still change.
OPEN_STATUSES = (Status.PROPOSED, Status.AGREED, Status.ACTIVE, Status.PAUSED)
# Agreed and not ended: the buddy's capacity (places, senior staff days) is committed to it.
COMMITTED_STATUSES = (Status.AGREED, Status.ACTIVE, Status.PAUSED)
# Being set up: the terms of reference are drafted and signed before it becomes active.
SETTING_UP_STATUSES = (Status.PROPOSED, Status.AGREED)
# Running: the work programme and reviews are kept and reminded.
RUNNING_STATUSES = (Status.ACTIVE, Status.PAUSED)
# Closed for good: nothing more is changed, signed, recorded or reminded.
CLOSED_STATUSES = (Status.COMPLETED, Status.DECLINED, Status.TERMINATED)
# Ran and ended (completed or ended early): what the endings report counts.
ENDED_STATUSES = (Status.COMPLETED, Status.TERMINATED)


class EndReason(models.TextChoices):
    POOR_CULTURAL_FIT = "poor-cultural-fit", "Poor cultural fit"
    UNPRODUCTIVE = "unproductive", "Unproductive"
    CAPACITY = "capacity", "Capacity"
    OBJECTIVES_MET = "objectives-met", "Objectives met"
    ACQUISITION = "acquisition", "Acquisition"
    OTHER = "other", "Other"


class ArrangementQuerySet(HistoryKeepingQuerySet["Arrangement"]):
    def involving(self, trust: Trust | int) -> ArrangementQuerySet:
        """Arrangements the trust is part of, as the supported trust or as a buddy."""
        trust_id = trust if isinstance(trust, int) else trust.pk
        return self.filter(Q(supported_id=trust_id) | Q(buddies__buddy_id=trust_id)).distinct()

    def open(self) -> ArrangementQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def committed(self) -> ArrangementQuerySet:
        return self.filter(status__in=COMMITTED_STATUSES)

    def running(self) -> ArrangementQuerySet:
        return self.filter(status__in=RUNNING_STATUSES)

    def ended(self) -> ArrangementQuerySet:
        return self.filter(status__in=ENDED_STATUSES)

    def for_list(self) -> ArrangementQuerySet:
        return self.select_related("supported").prefetch_related("buddies__buddy")


class Arrangement(models.Model):
    Origin = Origin
    Tier = Tier
    Status = Status
    EndReason = EndReason

    supported = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="supported_arrangements")
    title = models.CharField(max_length=200, help_text="For example: Maternity safety and board governance")
    origin = models.CharField(max_length=30, choices=Origin.choices)
    tier = models.CharField(max_length=30, choices=Tier.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    planned_start = models.DateField()
    planned_end = models.DateField()
    # Required before an acquisition-linked arrangement can be agreed (the review and the Dalton
    # review warn against a buddy role blurring into a takeover).
    acquisition_separation = models.TextField("how the buddy role is kept distinct from the acquirer role", blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # When the supported trust's needs were first recorded, copied at proposal: the review found
    # delays in setting up arrangements cost trusts, so time to agreement is reported.
    needs_recorded_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Kept by arrangements.services from the start date, the terms' review cadence and the reviews
    # recorded, so the register and the reminder sweep can filter on it in SQL.
    next_review_due = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=30, choices=EndReason.choices, blank=True)
    end_notes = models.TextField("reason in full", blank=True)
    handover_notes = models.TextField(blank=True)
    ended_by_party = models.CharField(max_length=20, blank=True)

    objects = ArrangementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_in("origin", Origin), name="arrangement_origin_valid"),
            models.CheckConstraint(condition=_in("tier", Tier), name="arrangement_tier_valid"),
            models.CheckConstraint(condition=_in("status", Status), name="arrangement_status_valid"),
            models.CheckConstraint(
                condition=_in("end_reason", EndReason) | Q(end_reason=""), name="arrangement_end_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")), name="arrangement_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.TERMINATED) | ~Q(end_reason=""), name="arrangement_termination_has_reason"
            ),
        ]
        indexes = [
            # The register and the reminder sweep filter by status (arrangements.selectors).
            models.Index(fields=["status", "planned_end"], name="arrangement_status_idx"),
            # The reminder sweep finds reviews due soon or overdue (arrangements.selectors.reviews_due).
            models.Index(fields=["next_review_due"], condition=Q(status="active"), name="arrangement_review_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.supported.ods_code}, {self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("arrangements:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_setting_up(self) -> bool:
        return self.status in SETTING_UP_STATUSES

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def needs_regulator_sign_off(self) -> bool:
        return self.supported.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES


class ArrangementBuddy(models.Model):
    """One buddy in an arrangement: the lead, or issue-specific for named expertise areas."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead buddy"
        ISSUE_SPECIFIC = "issue-specific", "Issue-specific buddy"

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="buddies")
    buddy = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="buddy_roles")
    # Copies of the arrangement's trust and open state, kept by arrangements.services, so that the
    # database itself can refuse a trust buddying itself and two open arrangements for one pair.
    supported = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField(default=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.LEAD)
    areas = models.ManyToManyField(ExpertiseArea, blank=True, related_name="+")
    # False when a trust proposed a buddy who is not an accredited framework pool member: allowed, but marked.
    from_pool = models.BooleanField("accredited pool member when proposed", default=True)
    staff_days_per_month = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=Decimal(2),
        validators=[MinValueValidator(0)],
        help_text="Senior staff days a month this buddy commits",
    )

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "buddy__name"]
        constraints = [
            models.CheckConstraint(condition=~Q(buddy=F("supported")), name="buddy_is_not_the_supported_trust"),
            models.UniqueConstraint(fields=["arrangement", "buddy"], name="buddy_once_per_arrangement"),
            models.UniqueConstraint(
                fields=["supported", "buddy"], condition=Q(is_open=True), name="one_open_arrangement_per_pair"
            ),
            models.CheckConstraint(condition=Q(role__in=["lead", "issue-specific"]), name="buddy_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.buddy.name} ({self.get_role_display().lower()})"


class TermsOfReference(models.Model):
    """One version of an arrangement's terms. A new version supersedes the last and needs signing again."""

    class WhoPays(models.TextChoices):
        COST_NEUTRAL = "cost-neutral", "Cost-neutral for the supported trust (the regulator funds the buddy)"
        SUPPORTED_TRUST = "supported-trust", "The supported trust pays the buddy"
        SHARED = "shared", "Shared between the trusts"
        NO_FEE = "no-fee", "No fee: the buddy gives its time freely"

    class Cadence(models.TextChoices):
        FORTNIGHTLY = "fortnightly", "Fortnightly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="terms_versions")
    version = models.PositiveSmallIntegerField()
    scope = models.TextField()
    out_of_scope = models.TextField(blank=True)
    supported_commitments = models.TextField("what the supported trust commits (people, days, who leads)")
    buddy_commitments = models.TextField("what the buddy commits (people, days, who leads)")
    governance = models.TextField("governance and who it reports to")
    meeting_cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.MONTHLY)
    review_every_months = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(12)], help_text="Quarterly (3) by default"
    )
    local_discretion = models.TextField("scope for local discretion", blank=True)
    termination_terms = models.TextField("how either party may end the arrangement")
    fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)])
    who_pays = models.CharField(max_length=20, choices=WhoPays.choices, default=WhoPays.COST_NEUTRAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["arrangement", "-version"]
        verbose_name_plural = "terms of reference"
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "version"], name="terms_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="terms_version_from_1"),
            models.CheckConstraint(
                condition=Q(review_every_months__gte=1, review_every_months__lte=12), name="terms_review_cadence"
            ),
        ]

    def __str__(self) -> str:
        return f"Terms of reference v{self.version} for {self.arrangement.title}"


class Objective(models.Model):
    terms = models.ForeignKey(TermsOfReference, on_delete=models.CASCADE, related_name="objectives")
    description = models.CharField(max_length=300)
    measurable_output = models.CharField(max_length=300, help_text="How you will know it is done")
    target_date = models.DateField()

    class Meta:
        ordering = ["target_date", "pk"]

    def __str__(self) -> str:
        return f"{self.description} (by {self.target_date:%d %b %Y})"


class Signature(models.Model):
    """A party's sign-off of one version of the terms."""

    class Party(models.TextChoices):
        SUPPORTED = "supported", "Supported trust"
        BUDDY = "buddy", "Buddy trust"
        REGULATOR = "regulator", "Regulator"

    terms = models.ForeignKey(TermsOfReference, on_delete=models.CASCADE, related_name="signatures")
    party = models.CharField(max_length=20, choices=Party.choices)
    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["terms", "party", "trust"], name="signature_once_per_party"),
            models.UniqueConstraint(
                fields=["terms", "party"], condition=Q(trust__isnull=True), name="regulator_signs_once"
            ),
            models.CheckConstraint(
                condition=(Q(party="regulator") & Q(trust__isnull=True))
                | (~Q(party="regulator") & Q(trust__isnull=False)),
                name="signature_trust_matches_party",
            ),
        ]

    def __str__(self) -> str:
        who = self.trust.ods_code if self.trust is not None else "the regulator"
        return f"v{self.terms.version} signed for {who} by {self.signed_by}"


class Workstream(models.Model):
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="workstreams")
    area = models.ForeignKey(ExpertiseArea, on_delete=models.PROTECT, related_name="+")
    buddy = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supported_lead = models.CharField("lead at the supported trust", max_length=200)
    buddy_lead = models.CharField("lead at the buddy trust", max_length=200)

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["area__name"]
        constraints = [models.UniqueConstraint(fields=["arrangement", "area"], name="workstream_once_per_area")]

    def __str__(self) -> str:
        return f"{self.area.name} workstream"


class Milestone(models.Model):
    class Rag(models.TextChoices):
        RED = "red", "Red"
        AMBER = "amber", "Amber"
        GREEN = "green", "Green"
        COMPLETE = "complete", "Complete"

    workstream = models.ForeignKey(Workstream, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    rag = models.CharField("RAG status", max_length=10, choices=Rag.choices, default=Rag.GREEN)
    completed_on = models.DateField(null=True, blank=True)

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rag__in=["red", "amber", "green", "complete"]), name="milestone_rag_valid"
            ),
            models.CheckConstraint(
                condition=Q(rag="complete", completed_on__isnull=False)
                | (~Q(rag="complete") & Q(completed_on__isnull=True)),
                name="milestone_completed_has_date",
            ),
        ]
        indexes = [
            # The reminder sweep looks for milestones falling due (arrangements.selectors.milestones_due).
            models.Index(fields=["due_date"], condition=~Q(rag="complete"), name="milestone_open_due_idx"),
        ]

    # The GOV.UK tag colour of each RAG status, on every page that shows one (amber is GOV.UK's orange tag).
    TAG_CLASSES = {
        Rag.RED: "govuk-tag--red",
        Rag.AMBER: "govuk-tag--orange",
        Rag.GREEN: "govuk-tag--green",
        Rag.COMPLETE: "govuk-tag--blue",
    }
    # Turning to one of these tells the other parties (arrangements.services.milestone_update).
    WORRYING = (Rag.AMBER, Rag.RED)

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_date:%d %b %Y}, {self.get_rag_display().lower()})"

    @property
    def tag_class(self) -> str:
        return self.TAG_CLASSES[Milestone.Rag(self.rag)]

    @property
    def is_overdue(self) -> bool:
        """Not complete and its due date (Europe/London) has passed."""
        return self.rag != self.Rag.COMPLETE and self.due_date < timezone.localdate()


class InputQuerySet(HistoryKeepingQuerySet["Input"]):
    """An input dated after today (Europe/London) is planned: it is listed as "Planned" and counted as a cost, a
    staff day or an attendance only once its date has come. Every total of costs (the arrangement's inputs page,
    the pack, the register, the value-for-money report, the dashboard) reads `actual()`."""

    def actual(self, *, today: dt.date | None = None) -> InputQuerySet:
        return self.filter(date__lte=today or timezone.localdate())

    def planned(self, *, today: dt.date | None = None) -> InputQuerySet:
        return self.filter(date__gt=today or timezone.localdate())


class Input(models.Model):
    """Something put into the arrangement: a visit, meeting, learning day or secondment, and what it cost.

    Dated in the future it is planned, not an actual cost (`InputQuerySet.actual`, `is_planned`)."""

    class Kind(models.TextChoices):
        VISIT = "visit", "Visit"
        MEETING = "meeting", "Meeting"
        LEARNING_DAY = "learning-day", "Learning day"
        SECONDMENT = "secondment", "Secondment"

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="inputs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="For a secondment")
    description = models.CharField(max_length=300)
    people_supported = models.PositiveSmallIntegerField("people from the supported trust", default=0)
    people_buddy = models.PositiveSmallIntegerField("people from the buddy trust", default=0)
    staff_days = models.DecimalField(
        max_digits=6, decimal_places=1, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)])
    travel_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    backfill_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    # What a management consultancy would have charged for the same input: value-for-money reports
    # compare the real costs with this.
    consultancy_estimate = models.DecimalField(
        "what a consultancy would have charged (£)",
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = InputQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["visit", "meeting", "learning-day", "secondment"]), name="input_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("date")), name="input_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date:%d %b %Y}: {self.description}"

    @property
    def total_cost(self) -> Decimal:
        return self.fee + self.travel_cost + self.backfill_cost

    @property
    def is_planned(self) -> bool:
        """Dated after today (Europe/London): not an actual cost yet."""
        return self.date > timezone.localdate()


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", "Continue as agreed"
    ADJUST = "adjust", "Continue with changes"
    END = "end", "End the arrangement"


class ReviewQuerySet(HistoryKeepingQuerySet["Review"]):
    def complete(self) -> ReviewQuerySet:
        return self.filter(completed_on__isnull=False)


class Review(models.Model):
    """One periodic review of an arrangement, due by the terms' cadence, following the 2014 review's interview
    questions. Each trust submits its own answers and ratings (`ReviewSubmission`). The review is complete once
    the supported trust and the lead buddy have submitted (with no lead buddy, every buddy): only then does the
    next review fall due. Issue-specific buddies may submit too, until it is complete. Regulator staff read every
    submission and may add a note."""

    Outcome = ReviewOutcome

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="reviews")
    due_on = models.DateField()
    # Set when it completes: the most cautious outcome any trust recommended (end, then adjust, then continue).
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices, blank=True)
    completed_on = models.DateField(null=True, blank=True)  # a Europe/London date
    regulator_note = models.TextField("note from the regulator", blank=True)
    regulator_note_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    regulator_note_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    RATINGS = ("relationship", "value", "fit", "progress")
    # The most cautious first: a review's outcome is the first of these any trust recommended.
    CAUTION = (ReviewOutcome.END, ReviewOutcome.ADJUST, ReviewOutcome.CONTINUE)

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-due_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "due_on"], name="review_once_per_due_date"),
            models.CheckConstraint(
                condition=_in("outcome", ReviewOutcome) | Q(outcome=""), name="review_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True, outcome="") | (Q(completed_on__isnull=False) & ~Q(outcome="")),
                name="review_complete_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        state = self.get_outcome_display().lower() if self.is_complete else "waiting for submissions"
        return f"Review of {self.arrangement.title} due {self.due_on:%d %b %Y}: {state}"

    @property
    def is_complete(self) -> bool:
        return self.completed_on is not None


def _rating(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, validators=[MinValueValidator(1), MaxValueValidator(5)])


class ReviewSubmission(models.Model):
    """One trust's own review: its answers to the interview questions, its ratings (1 to 5) and the outcome it
    recommends. Only that trust's executives change it, until the review is complete; the other trusts see it once
    the review is complete (so neither side's ratings sway the other's), regulator staff at any time."""

    class Party(models.TextChoices):
        SUPPORTED = "supported", "Supported trust"
        BUDDY = "buddy", "Buddy trust"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="submissions")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(max_length=20, choices=Party.choices)
    held_on = models.DateField("date of the review meeting")
    objectives_progress = models.TextField("progress against the agreed objectives")
    inputs_summary = models.TextField("what each side put in")
    achieved = models.TextField("what has been achieved")
    serendipitous = models.TextField("what was achieved that was not planned", blank=True)
    did_not_work = models.TextField("what did not work", blank=True)
    continuing_relationships = models.TextField("relationships that will continue", blank=True)
    learning = models.TextField("learning to share", blank=True)
    relationship = _rating("the relationship")
    value = _rating("value for the time put in")
    fit = _rating("cultural fit")
    progress = _rating("progress")
    outcome = models.CharField("outcome recommended", max_length=20, choices=ReviewOutcome.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-party", "trust__name"]  # the supported trust first, then the buddies by name
        constraints = [
            models.UniqueConstraint(fields=["review", "trust"], name="review_submission_once_per_trust"),
            models.CheckConstraint(condition=Q(party__in=["supported", "buddy"]), name="review_submission_party_valid"),
            models.CheckConstraint(condition=_in("outcome", ReviewOutcome), name="review_submission_outcome_valid"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{rating}__gte": 1, f"{rating}__lte": 5}),
                    name=f"review_submission_{rating}_1_to_5",
                )
                for rating in Review.RATINGS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trust.name}'s review due {self.review.due_on:%d %b %Y}"

    @property
    def ratings(self) -> list[tuple[str, int]]:
        fields = [
            cast("models.Field[Any, Any]", self._meta.get_field(name)) for name in Review.RATINGS
        ]  # never a relation
        return [(str(field.verbose_name), getattr(self, field.name)) for field in fields]


class Event(models.Model):
    """The arrangement's timeline: every change and decision, with who made it (MOJ timeline)."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    happened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.happened_at:%d %b %Y %H:%M}: {self.title}"


class Reminder(models.Model):
    """A reminder claimed before it is sent: the unique key makes it go out once in effect.

    `subject_key` names the object (e.g. "review:12", "milestone:40", "terms:7") and `due_on` the
    Europe/London date it is about, so running the sweep twice, or twice at once, sends nothing twice.
    """

    class Kind(models.TextChoices):
        REVIEW_DUE = "review-due", "Review due soon"
        REVIEW_OVERDUE = "review-overdue", "Review overdue"
        MILESTONE_DUE = "milestone-due", "Milestone due soon"
        MILESTONE_OVERDUE = "milestone-overdue", "Milestone overdue"
        TERMS_UNSIGNED = "terms-unsigned", "Terms of reference not signed"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_key = models.CharField(max_length=60)
    due_on = models.DateField()
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="reminders")
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key", "due_on"], name="reminder_once_per_subject_and_date"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["review-due", "review-overdue", "milestone-due", "milestone-overdue", "terms-unsigned"]
                ),
                name="reminder_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.subject_key} ({self.due_on:%d %b %Y})"


def next_review_due(*, started: dt.date, every_months: int, reviews_done: int) -> dt.date:
    """The due date of the next review: every `every_months` months from the start date."""
    months = every_months * (reviews_done + 1)
    year, month = divmod(started.month - 1 + months, 12)
    target_year, target_month = started.year + year, month + 1
    # Clamp the day: 31 January + 1 month is the last day of February.
    last_day = calendar.monthrange(target_year, target_month)[1]
    return dt.date(target_year, target_month, min(started.day, last_day))


class Response(models.TextChoices):
    """The supported trust's answer to a call-off."""

    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class CallOffStatus(models.TextChoices):
    INVITING = "inviting", "Waiting for answers"
    AGREED = "agreed", "Agreed: arrangement proposed"
    CANCELLED = "cancelled", "Cancelled"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CallOffReminderKind(models.TextChoices):
    REPLY_DUE = "reply-due", "Answer due soon"
    REPLY_OVERDUE = "reply-overdue", "Answer overdue"


class CallOffQuerySet(models.QuerySet["CallOff"]):
    def inviting(self) -> CallOffQuerySet:
        return self.filter(status=CallOff.Status.INVITING)


class CallOff(models.Model):
    """The regulator calls buddies off the framework for a challenged trust. Only a yes from the trust itself and
    from at least one invited buddy becomes a proposed arrangement: imposed buddies work worst.

    It settles by itself once every invited buddy has answered, or when regulator staff go ahead with those who
    said yes (the rest are withdrawn). One call-off per trust and framework waits for answers at a time, so
    sending the same invitations twice creates nothing new."""

    Status = CallOffStatus

    supported = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="call_offs")
    framework = models.ForeignKey("matching.Framework", on_delete=models.PROTECT, related_name="call_offs")
    match_run = models.ForeignKey(
        "matching.MatchRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    tier = models.CharField(max_length=30, choices=Tier.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITING)
    # A Europe/London date: the daily sweep reminds those still to answer before it and tells regulator staff after.
    reply_by = models.DateField(null=True, blank=True)
    supported_response = models.CharField(max_length=20, choices=Response.choices, default=Response.PENDING)
    supported_reason = models.TextField(blank=True)
    supported_responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supported_responded_at = models.DateTimeField(null=True, blank=True)
    # An answer the trust gave by phone, recorded for it by regulator staff, with their note of the call.
    supported_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supported_phone_note = models.TextField(blank=True)
    cancelled_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    arrangement = models.OneToOneField(
        Arrangement, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_off"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CallOffQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_in("status", CallOffStatus), name="call_off_status_valid"),
            models.CheckConstraint(condition=_in("supported_response", Response), name="call_off_response_valid"),
            models.CheckConstraint(
                condition=~Q(status="agreed") | Q(arrangement__isnull=False), name="call_off_agreed_has_arrangement"
            ),
            # Sending the same invitations twice (a double click, the back button) finds this call-off instead.
            models.UniqueConstraint(
                fields=["supported", "framework"],
                condition=Q(status="inviting"),
                name="one_open_call_off_per_trust_and_framework",
            ),
            models.CheckConstraint(
                condition=Q(supported_recorded_by__isnull=True) | ~Q(supported_phone_note=""),
                name="call_off_phone_answer_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"Call-off for {self.supported.name}: {self.title} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("arrangements:call-off", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.INVITING

    def go_ahead_refusal(self, invitations: list[Invitation]) -> str:
        """Why regulator staff cannot go ahead now (blank when they can): the trust itself and at least one
        invited buddy must have said yes. Called by the call-off page and by the service that goes ahead."""
        if not self.is_open:
            return f"This call-off is {self.get_status_display().lower()}"
        if self.supported_response != Response.ACCEPTED:
            return f"{self.supported.name} has not said yes to these buddies yet"
        if not any(invitation.status == Invitation.Status.ACCEPTED for invitation in invitations):
            return "No invited buddy has said yes yet"
        return ""

    def is_overdue(self, today: dt.date) -> bool:
        """The supported trust has not answered by the reply-by date."""
        return (
            self.is_open
            and self.supported_response == Response.PENDING
            and self.reply_by is not None
            and today > self.reply_by
        )


class Invitation(models.Model):
    Status = InvitationStatus

    # Invitations that still count: a buddy already asked (and not withdrawn) is not invited again.
    LIVE_STATUSES = (Status.PENDING, Status.ACCEPTED, Status.DECLINED)

    call_off = models.ForeignKey(CallOff, on_delete=models.CASCADE, related_name="invitations")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="invitations")
    role = models.CharField(max_length=20, choices=ArrangementBuddy.Role.choices, default=ArrangementBuddy.Role.LEAD)
    areas = models.ManyToManyField(ExpertiseArea, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    # An answer the trust gave by phone, recorded for it by regulator staff, with their note of the call.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone_note = models.TextField(blank=True)
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "trust__name"]
        constraints = [
            models.UniqueConstraint(fields=["call_off", "trust"], name="invitation_once_per_trust"),
            models.CheckConstraint(condition=_in("status", InvitationStatus), name="invitation_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(reason=""), name="invitation_decline_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(recorded_by__isnull=True) | ~Q(phone_note=""), name="invitation_phone_answer_has_note"
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.trust.name} ({self.get_status_display().lower()})"

    def is_overdue(self, today: dt.date) -> bool:
        """Not answered by the call-off's reply-by date."""
        reply_by = self.call_off.reply_by
        return (
            self.status == self.Status.PENDING and self.call_off.is_open and reply_by is not None and today > reply_by
        )


class CallOffEvent(models.Model):
    """A call-off's history: invitations, answers (and who recorded one given by phone), chases, withdrawals,
    reply-by dates, cancelling and going ahead, each with who did it and for which trust."""

    call_off = models.ForeignKey(CallOff, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The trust acted for or about (an answer recorded on its behalf, a chase, a withdrawal), if any.
    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    happened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.happened_at:%d %b %Y %H:%M}: {self.title}"


class CallOffReminder(models.Model):
    """A reply-by reminder claimed before it is sent: the unique key makes it go out once in effect, as `Reminder`
    does for arrangements. A new reply-by date is a new key, so moving the date reminds again."""

    Kind = CallOffReminderKind

    call_off = models.ForeignKey(CallOff, on_delete=models.CASCADE, related_name="reminders")
    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call_off", "trust", "kind", "due_on"], name="call_off_reminder_once_per_party_and_date"
            ),
            models.CheckConstraint(condition=_in("kind", CallOffReminderKind), name="call_off_reminder_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.trust.name} ({self.due_on:%d %b %Y})"
