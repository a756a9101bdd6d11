"""What matching needs beyond the registry: buddy capacity, vetoes, and an audit record of every run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from buddying.history import HistoryKeepingQuerySet
from buddying.models import Trust


class BuddyCapacity(models.Model):
    """How much buddying a trust can take on, and how much it has taken on already.

    The review found buddy trusts over-stretched when capacity was not respected, so matching
    excludes a trust with no free place or no free senior staff days. The commitments are kept up
    to date by the arrangements app when arrangements start and end.
    """

    trust = models.OneToOneField(Trust, on_delete=models.CASCADE, related_name="buddy_capacity")
    max_concurrent_arrangements = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(20)], help_text="How many trusts it can support at once"
    )
    senior_staff_days_per_month = models.DecimalField(
        max_digits=5, decimal_places=1, default=4, validators=[MinValueValidator(0)]
    )
    active_arrangements = models.PositiveSmallIntegerField(default=0)
    staff_days_committed = models.DecimalField(
        max_digits=5, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    # Declared interest in acquiring a struggling trust: shown as a flag, never hidden, so the
    # regulator can keep the buddy role distinct from the acquirer role.
    is_potential_acquirer = models.BooleanField("declared potential acquirer", default=False)

    class Meta:
        verbose_name_plural = "buddy capacities"
        constraints = [
            models.CheckConstraint(condition=Q(senior_staff_days_per_month__gte=0), name="capacity_days_not_negative"),
            models.CheckConstraint(condition=Q(staff_days_committed__gte=0), name="capacity_committed_not_negative"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.trust.ods_code}: {self.active_arrangements} of {self.max_concurrent_arrangements} places, "
            f"{self.staff_days_committed} of {self.senior_staff_days_per_month} days a month"
        )


class Veto(models.Model):
    """A trust the supported trust will not be buddied with (for example after a poor past fit)."""

    supported = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="vetoes")
    vetoed = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="vetoed_by")
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supported", "vetoed"], name="veto_once_per_pair"),
            models.CheckConstraint(condition=~Q(supported=F("vetoed")), name="veto_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.supported.ods_code} vetoes {self.vetoed.ods_code}"


class MatchRunQuerySet(models.QuerySet["MatchRun"]):
    def for_trust(self, trust: Trust) -> MatchRunQuerySet:
        return self.filter(supported=trust)

    def with_people(self) -> MatchRunQuerySet:
        return self.select_related("supported", "created_by")


class MatchRun(models.Model):
    """One run of the engine, kept so that a decision can be audited: inputs, weights, results, who, when."""

    class Kind(models.TextChoices):
        SHORTLIST = "shortlist", "Shortlist"
        TEAM = "team", "Team"
        WAVE = "wave", "Wave allocation"
        READINESS = "readiness", "Pool readiness"
        RECRUITMENT = "recruitment", "Recruitment targeting"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        WEB = "web", "Web"
        COMMAND = "command", "Command line"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    supported = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="match_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    settings = models.JSONField(help_text="Weights, geography band, pool restriction and sizes used")
    inputs = models.JSONField(help_text="A snapshot of what was matched: the supported trusts' needs and the pool size")
    results = models.JSONField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    error = models.TextField(blank=True)
    engine_ms = models.FloatField(null=True, blank=True)

    objects = MatchRunQuerySet.as_manager()

    # A run still "running" this long after it started lost its worker (the task's hard time limit is
    # CELERY_TASK_TIME_LIMIT, 3 minutes): it may be claimed again, and its page offers to start it again.
    STALE_AFTER = dt.timedelta(minutes=10)
    # Runs about the whole pool (matching.readiness_views shows them), started again like a wave.
    POOL_KINDS = frozenset({"readiness", "recruitment"})
    BACKGROUND_KINDS = frozenset({"wave", "readiness", "recruitment"})

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["shortlist", "team", "wave", "readiness", "recruitment"]),
                name="match_run_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]), name="match_run_status_valid"
            ),
            models.CheckConstraint(condition=Q(source__in=["web", "command"]), name="match_run_source_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="match_run_progress_percent"),
            # Shortlists and teams are for one trust; a wave is for many (listed in `inputs`), and readiness and
            # recruitment runs for the whole pool.
            models.CheckConstraint(
                condition=Q(kind__in=["wave", "readiness", "recruitment"]) | Q(supported__isnull=False),
                name="match_run_single_trust_has_trust",
            ),
        ]
        indexes = [
            # The explorer lists a trust's recent runs (matching.views.explorer).
            models.Index(fields=["supported", "-created_at"], name="match_run_trust_recent_idx"),
        ]

    def __str__(self) -> str:
        if self.kind in self.POOL_KINDS:
            subject = "the pool"
        elif self.supported is not None:
            subject = self.supported.ods_code
        else:
            subject = f"{len(self.inputs.get('trusts', []))} trusts"
        return f"{self.get_kind_display()} for {subject} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        if self.kind in self.POOL_KINDS:
            return reverse("matching:readiness-detail", kwargs={"pk": self.pk})
        return reverse("matching:run-detail", kwargs={"pk": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def is_stale(self) -> bool:
        """Running, but its worker has gone (it died, or was killed at the hard time limit)."""
        return (
            self.status == self.Status.RUNNING
            and self.started_at is not None
            and self.started_at < timezone.now() - self.STALE_AFTER
        )

    @property
    def can_restart(self) -> bool:
        return self.kind in self.BACKGROUND_KINDS and (
            self.status in {self.Status.PENDING, self.Status.FAILED} or self.is_stale
        )


class CommitmentTier(models.TextChoices):
    """Tiers of support, from light-touch mentoring to multi-year support: the one enumeration a framework prices
    and an arrangement is agreed at (arrangements.models.Arrangement.Tier is this)."""

    LIGHT_TOUCH = "light-touch", "Light-touch mentoring"
    TARGETED = "targeted", "Targeted issue-specific support"
    INTENSIVE = "intensive", "Intensive work programme"
    SUPERBUDDY = "superbuddy", "Multi-year superbuddy support"
    ACQUISITION_LINKED = "acquisition-linked", "Acquisition-linked"


class Framework(models.Model):
    """A superbuddy framework agreement: strong trusts apply to join its pool, the regulator accredits them."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for applications"
        EVALUATING = "evaluating", "Evaluating applications"
        LIVE = "live", "Live"
        EXPIRED = "expired", "Expired"

    name = models.CharField(max_length=200, unique=True)
    term_start = models.DateField()
    term_end = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    lots = models.ManyToManyField(
        "buddying.ExpertiseArea", related_name="frameworks", help_text="The expertise areas the framework covers"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Who moved the framework through its statuses, and when (Django admin shows the history).
    history = HistoricalRecords()

    # Each status may move only to the next one; expiry can come at any point once live.
    NEXT_STATUS = {"draft": "open", "open": "evaluating", "evaluating": "live", "live": "expired"}
    # Late joiners may be accredited into a live pool; a draft or expired framework has no pool.
    ACCREDITING_STATUSES = frozenset({"open", "evaluating", "live"})

    class Meta:
        ordering = ["-term_start", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(term_end__gte=F("term_start")), name="framework_end_after_start"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "evaluating", "live", "expired"]),
                name="framework_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("matching:framework-detail", kwargs={"pk": self.pk})


class FeeScale(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="fees")
    tier = models.CharField(max_length=30, choices=CommitmentTier.choices)
    annual_fee = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["annual_fee"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "tier"], name="fee_once_per_tier"),
            models.CheckConstraint(condition=Q(annual_fee__gte=0), name="fee_not_negative"),
            models.CheckConstraint(condition=Q(tier__in=CommitmentTier.values), name="fee_tier_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: £{self.annual_fee:,.0f} a year"


class PoolApplicationQuerySet(models.QuerySet["PoolApplication"]):
    def accredited_on(self, day: dt.date) -> PoolApplicationQuerySet:
        """Members in the pool on `day`: accredited, not expired, in a live framework whose term covers it."""
        return self.filter(
            status=PoolApplication.Status.ACCREDITED,
            accredited_until__gte=day,
            framework__status=Framework.Status.LIVE,
            framework__term_start__lte=day,
            framework__term_end__gte=day,
        )


class PoolApplication(models.Model):
    """A trust's declaration to join the pool (its own application, or a regulator's nomination) and its fate."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for a decision"
        ACCREDITED = "accredited", "Accredited"
        DECLINED = "declined", "Declined"
        SUSPENDED = "suspended", "Suspended"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Route(models.TextChoices):
        APPLIED = "applied", "Applied"
        NOMINATED = "nominated", "Nominated by the regulator"

    class Incentive(models.TextChoices):
        NO_FEE = "no-fee", "Willing without a fee"
        NEEDS_FEE = "needs-fee", "Needs a fee"
        OPEN_TO_ACQUISITION = "open-to-acquisition", "Open to acquisition or a chain"

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="applications")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="pool_applications")
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.APPLIED)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    max_concurrent_arrangements = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    senior_staff_days_per_month = models.DecimalField(max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    max_travel_minutes = models.PositiveSmallIntegerField(
        "furthest travel the trust will accept (minutes)", validators=[MinValueValidator(15), MaxValueValidator(600)]
    )
    services = models.ManyToManyField("buddying.ServiceLine", blank=True, related_name="+")
    incentive = models.CharField(max_length=30, choices=Incentive.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    accredited_on = models.DateField(null=True, blank=True)
    accredited_until = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = PoolApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "accredited", "declined", "suspended", "withdrawn"]),
                name="pool_application_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(incentive__in=["no-fee", "needs-fee", "open-to-acquisition"]), name="pool_incentive_valid"
            ),
            models.CheckConstraint(condition=Q(senior_staff_days_per_month__gte=0), name="pool_days_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="accredited") | Q(accredited_on__isnull=False, accredited_until__isnull=False),
                name="pool_accredited_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(accredited_until__isnull=True) | Q(accredited_until__gte=F("accredited_on")),
                name="pool_expiry_after_accreditation",
            ),
            # One live application or membership per trust per framework.
            models.UniqueConstraint(
                fields=["framework", "trust"],
                condition=Q(status__in=["submitted", "accredited", "suspended"]),
                name="pool_one_live_application_per_trust",
            ),
        ]
        indexes = [
            # matching.selectors.pool_member_ids: accredited members on a day.
            models.Index(fields=["status", "accredited_until"], name="pool_accredited_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.trust.name} in {self.framework.name} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("matching:application-detail", kwargs={"pk": self.pk})


class OfferedExpertise(models.Model):
    application = models.ForeignKey(PoolApplication, on_delete=models.CASCADE, related_name="offered")
    area = models.ForeignKey("buddying.ExpertiseArea", on_delete=models.PROTECT, related_name="+")
    strength = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    evidence = models.TextField()

    class Meta:
        ordering = ["-strength", "area__name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "area"], name="offered_once_per_area"),
            models.CheckConstraint(condition=Q(strength__gte=1, strength__lte=5), name="offered_strength_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.area.name} ({self.strength}/5)"


class PoolDecision(models.Model):
    """Every decision about an application or membership, with who and when: the pool's audit trail."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCREDITED = "accredited", "Accredited"
        DECLINED = "declined", "Declined"
        SUSPENDED = "suspended", "Suspended"
        REINSTATED = "reinstated", "Reinstated"
        WITHDRAWN = "withdrawn", "Withdrawn"

    application = models.ForeignKey(PoolApplication, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()}: {self.application.trust.ods_code} ({timezone.localtime(self.at):%d %b %Y})"
        )


# Soundings before procurement ---------------------------------------------------------------------------------


class SoundingIncentive(models.TextChoices):
    """What a strong trust says it would need to put management time into a trust it has no strategic interest in
    (the regulator's "big challenge"): one enumeration for the answer form, the constraints and the summary."""

    NONE = "none", "No incentive: we would help as part of the NHS"
    FEE = "fee", "A fee"
    ACQUISITION_FIRST_REFUSAL = "acquisition-first-refusal", "First refusal on acquiring the supported trust"
    CHAIN_FIRST_REFUSAL = "chain-first-refusal", "First refusal on forming a chain with the supported trust"


class SoundingWillingness(models.TextChoices):
    YES = "yes", "Yes"
    MAYBE = "maybe", "Maybe"
    NO = "no", "No"


class SoundingStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class SoundingQuerySet(HistoryKeepingQuerySet["Sounding"]):
    def open(self) -> SoundingQuerySet:
        return self.filter(status=Sounding.Status.OPEN)

    def asking(self, trust_id: int) -> SoundingQuerySet:
        """Soundings that asked this trust: the only ones its executives may see."""
        return self.filter(responses__trust_id=trust_id)


class Sounding(models.Model):
    """Before procurement, regulator staff sound out strong trusts about a framework: would they join, with what
    capacity and expertise, and what incentive would they need. Each trust asked has one `SoundingResponse`, blank
    until it answers; it may change its answer until regulator staff close the sounding."""

    Status = SoundingStatus

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="soundings")
    title = models.CharField(max_length=200)
    message = models.TextField("what the regulator asks", blank=True)
    # The tier of support being sounded out: a fee asked is compared with the framework's fee for it.
    tier = models.CharField(max_length=30, choices=CommitmentTier.choices, default=CommitmentTier.SUPERBUDDY)
    # A Europe/London date, shown to trusts; answers are still accepted after it until the sounding closes.
    reply_by = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = SoundingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SoundingStatus.values), name="sounding_status_valid"),
            models.CheckConstraint(condition=Q(tier__in=CommitmentTier.values), name="sounding_tier_valid"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="sounding_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("matching:sounding-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.reply_by is not None and today > self.reply_by


class SoundingResponse(models.Model):
    """One trust asked in a sounding, and its answer (blank `willingness` until it answers).

    A yes or a maybe says how many trusts the trust could support at once (as BuddyCapacity counts places), the
    expertise it would offer and the incentive it would need; a no needs only a reason."""

    Willingness = SoundingWillingness
    Incentive = SoundingIncentive

    # Answers that offer support: they carry capacity, areas and an incentive.
    OFFERING = (SoundingWillingness.YES, SoundingWillingness.MAYBE)

    sounding = models.ForeignKey(Sounding, on_delete=models.CASCADE, related_name="responses")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="sounding_responses")
    willingness = models.CharField(max_length=10, choices=SoundingWillingness.choices, blank=True)
    max_concurrent_arrangements = models.PositiveSmallIntegerField(
        "most trusts it could support at once",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    areas = models.ManyToManyField("buddying.ExpertiseArea", blank=True, related_name="+")
    incentive = models.CharField(max_length=30, choices=SoundingIncentive.choices, blank=True)
    # A year, for each trust supported: the unit of the framework's fee scale.
    fee_amount = models.DecimalField(
        "annual fee for each trust supported", max_digits=12, decimal_places=2, null=True, blank=True
    )
    reason = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = HistoryKeepingQuerySet.as_manager()
    # Every answer and change of answer, with who made it (the areas are recorded with it).
    history = HistoricalRecords(m2m_fields=[areas])

    class Meta:
        ordering = ["trust__name"]
        constraints = [
            models.UniqueConstraint(fields=["sounding", "trust"], name="sounding_asks_a_trust_once"),
            models.CheckConstraint(
                condition=Q(willingness__in=[*SoundingWillingness.values, ""]), name="sounding_willingness_valid"
            ),
            models.CheckConstraint(
                condition=Q(incentive__in=[*SoundingIncentive.values, ""]), name="sounding_incentive_valid"
            ),
            # A fee amount, more than nothing, exactly when the incentive is a fee.
            models.CheckConstraint(
                condition=Q(incentive=SoundingIncentive.FEE, fee_amount__isnull=False, fee_amount__gt=0)
                | (~Q(incentive=SoundingIncentive.FEE) & Q(fee_amount__isnull=True)),
                name="sounding_fee_amount_iff_fee",
            ),
            # A yes or a maybe says its capacity and incentive; a no or no answer yet carries neither.
            models.CheckConstraint(
                condition=(
                    Q(willingness__in=[SoundingWillingness.YES, SoundingWillingness.MAYBE])
                    & Q(max_concurrent_arrangements__isnull=False)
                    & ~Q(incentive="")
                )
                | (
                    Q(willingness__in=[SoundingWillingness.NO, ""])
                    & Q(max_concurrent_arrangements__isnull=True)
                    & Q(incentive="")
                ),
                name="sounding_offer_has_capacity_and_incentive",
            ),
            models.CheckConstraint(
                condition=Q(willingness="", answered_at__isnull=True)
                | (~Q(willingness="") & Q(answered_at__isnull=False)),
                name="sounding_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        answer = self.get_willingness_display().lower() if self.willingness else "no answer yet"
        return f"{self.trust.name} in {self.sounding.title}: {answer}"

    def get_absolute_url(self) -> str:
        return self.sounding.get_absolute_url()

    @property
    def is_answered(self) -> bool:
        return bool(self.willingness)

    @property
    def fee_total(self) -> Decimal | None:
        """The fee asked for the whole capacity offered, a year."""
        if self.fee_amount is None or self.max_concurrent_arrangements is None:
            return None
        return self.fee_amount * self.max_concurrent_arrangements


class SoundingReminderKind(models.TextChoices):
    REPLY_DUE = "reply-due", "Answer due soon"
    REPLY_OVERDUE = "reply-overdue", "Answer overdue"


class SoundingReminder(models.Model):
    """A reply-by reminder to a trust that has not answered a sounding, claimed before it is sent: the unique key
    makes it go out once, as arrangements.models.CallOffReminder does for call-offs. A new reply-by date is a new
    key, so moving the date reminds again."""

    Kind = SoundingReminderKind

    response = models.ForeignKey(SoundingResponse, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["response", "kind", "due_on"], name="sounding_reminder_once_per_date"),
            models.CheckConstraint(
                condition=Q(kind__in=SoundingReminderKind.values), name="sounding_reminder_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.response.trust.name} ({self.due_on:%d %b %Y})"


class RecruitmentStatus(models.TextChoices):
    SENT = "sent", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted: invited to apply"
    DECLINED = "declined", "Declined"


class RecruitmentInvitation(models.Model):
    """Regulator staff invite a strong trust outside the pool to apply to join it, where the pool runs out first.

    Sent in the app and by email (buddying.notifications); the trust's executive accepts (and goes on to the
    application form) or declines with a reason.
    """

    Status = RecruitmentStatus

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="recruitment_invitations")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="recruitment_invitations")
    # The recruitment run whose marginal gain prompted it (kept if that run is ever deleted).
    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations")
    why = models.TextField(help_text="Why the trust is invited: the areas and regions it would strengthen")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SENT)
    decline_reason = models.TextField(blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RecruitmentStatus.values), name="recruitment_invitation_status_valid"
            ),
            # One unanswered invitation per trust per framework: inviting again while it waits is refused.
            models.UniqueConstraint(
                fields=["framework", "trust"],
                condition=Q(status=RecruitmentStatus.SENT),
                name="recruitment_one_open_invitation",
            ),
            models.CheckConstraint(
                condition=~Q(status=RecruitmentStatus.DECLINED) | ~Q(decline_reason=""),
                name="recruitment_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=RecruitmentStatus.SENT) | Q(answered_at__isnull=False),
                name="recruitment_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trust.name} invited to {self.framework.name} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("matching:recruitment-invitation", kwargs={"pk": self.pk})
