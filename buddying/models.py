"""The trust registry: trusts, their services, expertise, improvement needs and culture, and users' roles."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from simple_history.models import HistoricalRecords

from buddying.history import HistoryKeepingQuerySet
from buddying.validators import validate_ods_code, validate_postcode_format


class Region(models.TextChoices):
    """The seven NHS England regions."""

    EAST_OF_ENGLAND = "east-of-england", "East of England"
    LONDON = "london", "London"
    MIDLANDS = "midlands", "Midlands"
    NORTH_EAST_YORKSHIRE = "north-east-and-yorkshire", "North East and Yorkshire"
    NORTH_WEST = "north-west", "North West"
    SOUTH_EAST = "south-east", "South East"
    SOUTH_WEST = "south-west", "South West"


def _choices_check(
    field: str, choices: type[models.Choices], *, name: str, allow_blank: bool = False
) -> models.CheckConstraint:
    values = list(choices.values)
    condition = Q(**{f"{field}__in": values})
    if allow_blank:
        condition |= Q(**{field: ""})
    return models.CheckConstraint(condition=condition, name=name)


class IntegratedCareSystem(models.Model):
    """An integrated care system: trusts in the same ICS are local competitors/neighbours for matching."""

    code = models.CharField(max_length=12, unique=True, help_text="ODS code of the ICB, for example QE1.")
    name = models.CharField(max_length=200, unique=True)
    region = models.CharField(max_length=40, choices=Region.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = "integrated care system"
        constraints = [_choices_check("region", Region, name="ics_region_valid")]

    def __str__(self) -> str:
        return self.name


class ExpertiseArea(models.Model):
    """One shared taxonomy for what buddies are strong at and what supported trusts need."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # The clinical service an area depends on, if any: a buddy that does not run maternity
    # services cannot help with maternity (matching gives no credit for it).
    requires_service = models.ForeignKey(
        "ServiceLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependent_areas"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceLine(models.Model):
    """A service a trust runs, such as maternity, paediatrics or emergency care."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Registry dates (closures, statuses) are dates in England, whatever the server's clock says.
REGISTRY_TIME_ZONE = ZoneInfo("Europe/London")


class TrustQuerySet(HistoryKeepingQuerySet["Trust"]):
    def for_directory(self) -> TrustQuerySet:
        """What the directory and map tables show, in one query (no per-row lookups)."""
        return self.select_related("ics").only(
            "ods_code",
            "name",
            "trust_type",
            "region",
            "is_foundation_trust",
            "cqc_rating",
            "oversight_segment",
            "improvement_status",
            "closed_on",
            "latitude",
            "longitude",
            "ics__name",
        )

    def open(self, day: dt.date | None = None) -> TrustQuerySet:
        """Trusts still open on `day` (default: today in England): never closed, or closing after it.

        A trust closed on a day is closed from that day. Called by the directory (closed trusts are
        hidden unless asked for) and by matching's selectors (a closed trust is never a candidate).
        """
        day = day or timezone.localdate(timezone=REGISTRY_TIME_ZONE)
        return self.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=day))

    def type_not_known(self) -> TrustQuerySet:
        return self.filter(trust_type="")

    def in_special_measures(self) -> TrustQuerySet:
        return self.filter(improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES)

    def located(self) -> TrustQuerySet:
        return self.filter(latitude__isnull=False, longitude__isnull=False)


class TrustType(models.TextChoices):
    ACUTE_DISTRICT_GENERAL = "acute-district-general", "Acute (district general)"
    ACUTE_LARGE_TEACHING = "acute-large-teaching", "Acute (large or teaching)"
    AMBULANCE = "ambulance", "Ambulance"
    COMMUNITY = "community", "Community"
    INTEGRATED = "integrated", "Integrated (acute and community)"
    MENTAL_HEALTH = "mental-health", "Mental health"
    SPECIALIST = "specialist", "Specialist"


class CqcRating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires-improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_RATED = "not-rated", "Not yet rated"


class ImprovementStatus(models.TextChoices):
    NONE = "none", "None"
    RECOVERY = "recovery", "Recovery support"
    SPECIAL_MEASURES = "special-measures", "Special measures"


class Trust(models.Model):
    # The choices live at module level so that Meta.constraints can name them too.
    TrustType = TrustType
    CqcRating = CqcRating
    ImprovementStatus = ImprovementStatus

    ods_code = models.CharField(
        "ODS code",
        max_length=6,
        unique=True,
        validators=[validate_ods_code],
        help_text="Organisation Data Service code, for example RJ1.",
    )
    name = models.CharField(max_length=200)
    # Blank means "not known": an import never guesses a type from a name, regulator staff record it.
    trust_type = models.CharField("type", max_length=30, choices=TrustType.choices, blank=True)
    is_foundation_trust = models.BooleanField("foundation trust", default=False)
    region = models.CharField(max_length=40, choices=Region.choices, blank=True)
    ics = models.ForeignKey(
        IntegratedCareSystem,
        verbose_name="integrated care system",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trusts",
    )
    postcode = models.CharField(max_length=8, blank=True, validators=[validate_postcode_format])
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    number_of_sites = models.PositiveSmallIntegerField(default=1)
    is_teaching = models.BooleanField("teaching trust", default=False)
    cqc_rating = models.CharField(
        "CQC overall rating", max_length=30, choices=CqcRating.choices, default=CqcRating.NOT_RATED
    )
    oversight_segment = models.PositiveSmallIntegerField(
        "oversight segment",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=(
            "NHS Oversight Framework segment, 1 (no support needed) to 5 (intensive support in the Recovery Support "
            "Programme)."
        ),
    )
    improvement_status = models.CharField(
        "special measures or recovery status",
        max_length=30,
        choices=ImprovementStatus.choices,
        default=ImprovementStatus.NONE,
    )
    improvement_status_since = models.DateField("status since", null=True, blank=True)
    improvement_status_review_due = models.DateField("status review due", null=True, blank=True)
    closed_on = models.DateField(
        "closed on",
        null=True,
        blank=True,
        help_text="The day the trust closed or will close, for example on a merger. Leave blank for an open trust.",
    )
    travel_adjustment_minutes = models.PositiveSmallIntegerField(
        "extra travel minutes",
        default=0,
        validators=[MaxValueValidator(600)],
        help_text=(
            "Added to every travel estimate to or from this trust, for example a ferry crossing to the Isle of Wight."
        ),
    )
    services = models.ManyToManyField(ServiceLine, blank=True, related_name="trusts")
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrustQuerySet.as_manager()
    # Audit trail of every profile change (who, when, what); services save row by row for it.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        constraints = [
            _choices_check("trust_type", TrustType, name="trust_type_valid", allow_blank=True),
            _choices_check("region", Region, name="trust_region_valid", allow_blank=True),
            _choices_check("cqc_rating", CqcRating, name="trust_cqc_rating_valid"),
            _choices_check("improvement_status", ImprovementStatus, name="trust_improvement_status_valid"),
            models.CheckConstraint(
                condition=Q(oversight_segment__isnull=True) | Q(oversight_segment__gte=1, oversight_segment__lte=5),
                name="trust_oversight_segment_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(improvement_status="none") | Q(improvement_status_since__isnull=False),
                name="trust_improvement_status_has_start_date",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                # isnull=False is needed: a CHECK that compares NULL is unknown, and unknown passes.
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="trust_location_complete_and_valid",
            ),
            models.CheckConstraint(condition=Q(number_of_sites__gte=1), name="trust_has_a_site"),
            models.CheckConstraint(
                condition=Q(travel_adjustment_minutes__lte=600), name="trust_travel_adjustment_at_most_600"
            ),
        ]
        indexes = [
            # The directory filters by region and by status most often (buddying.filters.TrustFilter).
            models.Index(fields=["region", "name"], name="trust_region_name_idx"),
            models.Index(fields=["improvement_status"], name="trust_improvement_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    def get_absolute_url(self) -> str:
        return reverse("trust-detail", kwargs={"ods_code": self.ods_code})

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def is_challenged(self) -> bool:
        return self.improvement_status != self.ImprovementStatus.NONE

    @property
    def is_receiving_support(self) -> bool:
        """In special measures or recovery, or in oversight segment 4 or 5 (intensive support)."""
        return self.improvement_status in {
            self.ImprovementStatus.SPECIAL_MEASURES,
            self.ImprovementStatus.RECOVERY,
        } or self.oversight_segment in {4, 5}

    def is_closed_on(self, day: dt.date | None = None) -> bool:
        """The same rule as TrustQuerySet.open(), for one trust already in memory."""
        day = day or timezone.localdate(timezone=REGISTRY_TIME_ZONE)
        return self.closed_on is not None and self.closed_on <= day

    @property
    def is_closed(self) -> bool:
        return self.is_closed_on()


class TrustExpertise(models.Model):
    """An area a trust is strong in, with how strong (1-5) and the evidence for it."""

    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="expertise")
    area = models.ForeignKey(ExpertiseArea, on_delete=models.PROTECT, related_name="+")
    strength = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (some experience) to 5 (a recognised national leader).",
    )
    evidence = models.TextField(blank=True, help_text="For example a CQC rating, an award or published results.")

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-strength", "area__name"]
        verbose_name_plural = "trust expertise"
        constraints = [
            models.UniqueConstraint(fields=["trust", "area"], name="trust_expertise_one_per_area"),
            models.CheckConstraint(
                condition=Q(strength__gte=1, strength__lte=5), name="trust_expertise_strength_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trust.ods_code}: {self.area} ({self.strength}/5)"


class ImprovementNeed(models.Model):
    """An area a trust needs support in, with a priority that weights matching."""

    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"

    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="needs")
    area = models.ForeignKey(ExpertiseArea, on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-priority", "area__name"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "area"], name="improvement_need_one_per_area"),
            models.CheckConstraint(condition=Q(priority__in=[1, 2, 3]), name="improvement_need_priority_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.trust.ods_code} needs {self.area} ({self.get_priority_display().lower()} priority)"


# The culture dimensions are the NHS Staff Survey's seven People Promise themes plus its two
# other themes (staff engagement, morale), each reported by the survey as a score from 0 to 10.
# The 2014 buddying review found shared culture and values matter more than size or structure,
# so matching compares trusts on these.
CULTURE_DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("compassionate_inclusive", "We are compassionate and inclusive"),
    ("recognised_rewarded", "We are recognised and rewarded"),
    ("voice_that_counts", "We each have a voice that counts"),
    ("safe_healthy", "We are safe and healthy"),
    ("always_learning", "We are always learning"),
    ("work_flexibly", "We work flexibly"),
    ("team", "We are a team"),
    ("staff_engagement", "Staff engagement"),
    ("morale", "Morale"),
)


def _culture_score_field(label: str) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=3, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )


class CultureProfile(models.Model):
    """A trust's NHS Staff Survey theme scores (0-10) and its values in its own words."""

    trust = models.OneToOneField(Trust, on_delete=models.CASCADE, related_name="culture")
    survey_year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    compassionate_inclusive = _culture_score_field("We are compassionate and inclusive")
    recognised_rewarded = _culture_score_field("We are recognised and rewarded")
    voice_that_counts = _culture_score_field("We each have a voice that counts")
    safe_healthy = _culture_score_field("We are safe and healthy")
    always_learning = _culture_score_field("We are always learning")
    work_flexibly = _culture_score_field("We work flexibly")
    team = _culture_score_field("We are a team")
    staff_engagement = _culture_score_field("Staff engagement")
    morale = _culture_score_field("Morale")
    values_statement = models.TextField(blank=True, max_length=2000)

    objects = HistoryKeepingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 10}), name=f"culture_{field}_0_to_10"
            )
            for field, _label in CULTURE_DIMENSIONS
        ]

    def __str__(self) -> str:
        return f"Culture profile of {self.trust.name} ({self.survey_year})"

    def scores(self) -> list[tuple[str, float]]:
        return [(label, float(getattr(self, field))) for field, label in CULTURE_DIMENSIONS]


class Role(models.TextChoices):
    REGULATOR = "regulator", "Regulator staff"
    TRUST_EXECUTIVE = "trust-executive", "Trust executive"
    ADMIN = "admin", "Admin"


class UserManager(DjangoUserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        # `createsuperuser` makes admins: the role must not default to an executive with no trust.
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Their role decides what they may do; an executive belongs to one trust."""

    Role = Role

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TRUST_EXECUTIVE)
    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="executives")

    objects: ClassVar[UserManager] = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            _choices_check("role", Role, name="user_role_valid"),
            # An executive acts for exactly one trust; other roles act for none.
            models.CheckConstraint(
                condition=(Q(role="trust-executive") & Q(trust__isnull=False))
                | (~Q(role="trust-executive") & Q(trust__isnull=True)),
                name="user_trust_only_for_executives",
                violation_error_message=(
                    "A trust executive must have a trust, and regulator staff and admins must have none: "
                    "choose a trust only for a trust executive"
                ),
            ),
            # Password reset and invitations find people by email, so one email is one person.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="user_email_unique",
                violation_error_message="Someone already has an account with this email address: enter another",
            ),
        ]

    def __str__(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    @property
    def display_name(self) -> str:
        """How pages name a person: their full name; an account nobody has named yet shows its username."""
        return self.get_full_name() or self.username

    @property
    def is_regulator(self) -> bool:
        return self.role == self.Role.REGULATOR

    @property
    def is_trust_executive(self) -> bool:
        return self.role == self.Role.TRUST_EXECUTIVE

    @property
    def is_admin_role(self) -> bool:
        return self.role == self.Role.ADMIN


class Notification(models.Model):
    """An in-app message to one person (also sent by email): arrangements, call-offs and pool decisions."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The unread count in the header (arrangements.context_processors).
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="inbox_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} (to {self.recipient})"


class SignupInvitationQuerySet(models.QuerySet["SignupInvitation"]):
    def open(self) -> SignupInvitationQuerySet:
        """Not yet used nor cancelled: listed on the People page (expired ones too, to be sent again)."""
        return self.filter(used_at__isnull=True, cancelled_at__isnull=True)


class SignupInvitation(models.Model):
    """An invitation by email to create an account: a one-time link that expires.

    The database never holds a working link (see `nonce`); sending the invitation again makes a new link with a
    new expiry, and the old link stops working.
    """

    email = models.EmailField(max_length=150)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TRUST_EXECUTIVE)
    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="signup_invitations")
    # The link's token is an HMAC of `nonce` under SECRET_KEY (like Django's password reset tokens), so the
    # database alone holds no working link; "send again" draws a new nonce. Links are looked up by the token's
    # sha256 (hash_token).
    nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # When the current link was made (the first send, or the latest resend) and when it stops working.
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Set by the email task once the current link's email has gone out.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The invitee opened an expired link and asked for a new one (the inviter is told once).
    new_link_requested_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="signup_invitation"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = SignupInvitationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["nonce", "token_hash"])

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            _choices_check("role", Role, name="signup_invitation_role_valid"),
            models.CheckConstraint(
                condition=(Q(role="trust-executive") & Q(trust__isnull=False))
                | (~Q(role="trust-executive") & Q(trust__isnull=True)),
                name="signup_invitation_trust_only_for_executives",
            ),
            # One open invitation per person: inviting again is "send again" on the People page.
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(used_at__isnull=True, cancelled_at__isnull=True),
                name="signup_invitation_one_open_per_email",
                violation_error_message="This person already has an invitation waiting: send it again instead",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("sent_at")), name="signup_invitation_expires_after_sending"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="signup_invitation_not_both_used_and_cancelled",
            ),
        ]

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        EXPIRED = "expired", "Expired"
        USED = "used", "Accepted"
        CANCELLED = "cancelled", "Cancelled"

    def __str__(self) -> str:
        return f"Invitation to {self.first_name} {self.last_name} <{self.email}>"

    @staticmethod
    def hash_token(token: str) -> str:
        # A 256-bit token needs no salt or slow hash: nothing can be guessed from its sha256.
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def token_for(nonce: str) -> str:
        return salted_hmac("buddying.SignupInvitation.token", nonce, algorithm="sha256").hexdigest()

    @property
    def token(self) -> str:
        """The token in the current sign-up link (/people/sign-up/<token>/)."""
        return self.token_for(self.nonce)

    def new_link(self) -> None:
        """Draw a new link: the old one stops working once this is saved."""
        self.nonce = secrets.token_urlsafe(32)
        self.token_hash = self.hash_token(self.token)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def state(self) -> SignupInvitation.State:
        if self.used_at is not None:
            return self.State.USED
        if self.cancelled_at is not None:
            return self.State.CANCELLED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.WAITING

    @property
    def is_open(self) -> bool:
        """Can still be sent again or cancelled (waiting or expired)."""
        return self.used_at is None and self.cancelled_at is None


class OutboxMessageQuerySet(models.QuerySet["OutboxMessage"]):
    def pending(self) -> OutboxMessageQuerySet:
        """Not yet handed to the broker (buddying.outbox sends them, oldest first)."""
        return self.filter(sent_at__isnull=True)


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that asked for it.

    buddying.outbox.enqueue writes it and hands it to the broker once the transaction commits; if Redis is
    down it stays here and the periodic `send_outbox` task (or the next successful enqueue) sends it later.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        indexes = [
            # outbox_send and the backlog check on each enqueue read the pending messages, oldest first.
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_pending_idx"),
            # outbox_send deletes sent messages after a week.
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="outbox_sent_idx"),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "waiting"
        arguments = ", ".join(repr(arg) for arg in self.args)
        return f"{self.task_name}({arguments}), {state}"


class RelationshipKind(models.TextChoices):
    INFORMAL_BUDDYING = "informal-buddying", "Informal buddying arrangement"
    LEARNING = "learning", "Learning arrangement"
    SHARED_NETWORK = "shared-network", "Shared network"
    LEADERS_WORKED_TOGETHER = "leaders-worked-together", "Chief executives or chairs have worked together"


class RelationshipStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


def relationship_confirmation(*, entered_by_a_trust: bool, answered_by_regulator: bool) -> str:
    """Who stands behind a confirmed relationship, as pages and matching's reasons say it."""
    if not entered_by_a_trust:
        return "recorded by regulator staff"
    if answered_by_regulator:
        return "confirmed by regulator staff"
    return "confirmed by both trusts"


class TrustRelationshipQuerySet(HistoryKeepingQuerySet["TrustRelationship"]):
    def confirmed(self) -> TrustRelationshipQuerySet:
        """Relationships both sides agree on (or regulator staff recorded): the only ones matching counts and the
        only ones shown to people outside the two trusts."""
        return self.filter(status=TrustRelationship.Status.CONFIRMED)

    def pending(self) -> TrustRelationshipQuerySet:
        return self.filter(status=TrustRelationship.Status.PENDING)

    def involving(self, trust: Trust | int) -> TrustRelationshipQuerySet:
        trust_id = trust if isinstance(trust, int) else trust.pk
        return self.filter(Q(trust_a_id=trust_id) | Q(trust_b_id=trust_id))

    def between(self, first: Trust, second: Trust) -> TrustRelationshipQuerySet:
        low, high = sorted((first.pk, second.pk))
        return self.filter(trust_a_id=low, trust_b_id=high)

    def to_answer_by(self, trust_id: int) -> TrustRelationshipQuerySet:
        """Pending relationships that name `trust_id` and that the other trust entered: its executives confirm them."""
        return self.pending().involving(trust_id).exclude(entered_for_id=trust_id)


class TrustRelationship(models.Model):
    """A relationship between two trusts that the 2014 review found matters for buddying: an informal buddying or
    learning arrangement outside special measures, a shared network, or leaders who have worked together.

    The pair is unordered and stored with the lower trust id first (`TrustRelationship.pair`), so one pair has one
    row per kind. An executive enters one for their own trust and the other trust's executives confirm it; regulator
    staff's are confirmed at once. Only confirmed ones count in matching.
    """

    # The choices live at module level so that Meta.constraints can name them too.
    Kind = RelationshipKind
    Status = RelationshipStatus

    # The kinds the register of informal arrangements lists (reports); networks and past colleagues are not
    # arrangements.
    INFORMAL_ARRANGEMENT_KINDS = (RelationshipKind.INFORMAL_BUDDYING, RelationshipKind.LEARNING)

    trust_a = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="+")
    trust_b = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=RelationshipKind.choices)
    description = models.TextField(blank=True, max_length=1000)
    started_on = models.DateField("started on", null=True, blank=True)
    ended_on = models.DateField("ended on", null=True, blank=True)
    status = models.CharField(max_length=20, choices=RelationshipStatus.choices, default=RelationshipStatus.PENDING)
    # The trust whose executive entered it (the other one confirms); empty when regulator staff entered it.
    entered_for = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    entered_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    # Who confirmed or declined it, and when.
    answered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = TrustRelationshipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-entered_at", "-pk"]
        constraints = [
            _choices_check("kind", RelationshipKind, name="trust_relationship_kind_valid"),
            _choices_check("status", RelationshipStatus, name="trust_relationship_status_valid"),
            # Two different trusts, lower id first: an unordered pair has exactly one spelling.
            models.CheckConstraint(
                condition=Q(trust_a__lt=models.F("trust_b")), name="trust_relationship_two_trusts_in_order"
            ),
            # A declined one may be entered again; otherwise one row per pair and kind.
            models.UniqueConstraint(
                fields=["trust_a", "trust_b", "kind"],
                condition=~Q(status=RelationshipStatus.DECLINED),
                name="trust_relationship_one_per_pair_and_kind",
                violation_error_message="These two trusts already have this kind of relationship recorded",
            ),
            models.CheckConstraint(
                condition=Q(entered_for__isnull=True)
                | Q(entered_for=models.F("trust_a"))
                | Q(entered_for=models.F("trust_b")),
                name="trust_relationship_entered_for_one_of_the_pair",
            ),
            models.CheckConstraint(
                condition=Q(status=RelationshipStatus.PENDING) | Q(answered_at__isnull=False),
                name="trust_relationship_answer_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True)
                | Q(ended_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="trust_relationship_ends_after_it_starts",
            ),
        ]
        indexes = [
            # TrustRelationshipQuerySet.involving: the trust page and matching look up both sides; the unique
            # constraint's index serves trust_a.
            models.Index(fields=["trust_b"], name="trust_relationship_b_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.trust_a.name} and {self.trust_b.name}: {self.get_kind_display().lower()}"

    def get_absolute_url(self) -> str:
        return reverse("trust-detail", kwargs={"ods_code": self.trust_a.ods_code}) + "#relationships"

    @staticmethod
    def pair(first: Trust, second: Trust) -> tuple[Trust, Trust]:
        """The two trusts as stored: lower id first."""
        return (first, second) if first.pk < second.pk else (second, first)

    def other_than(self, trust_id: int) -> Trust:
        return self.trust_b if self.trust_a_id == trust_id else self.trust_a

    @property
    def answering_trust(self) -> Trust | None:
        """The trust whose executives confirm or decline it: the one that did not enter it."""
        if self.entered_for_id is None:
            return None
        return self.other_than(self.entered_for_id)

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def confirmation(self) -> str:
        """'confirmed by both trusts', 'confirmed by regulator staff' or 'recorded by regulator staff'."""
        answered_by = self.answered_by
        return relationship_confirmation(
            entered_by_a_trust=self.entered_for_id is not None,
            answered_by_regulator=answered_by is not None
            and (answered_by.role in {Role.REGULATOR, Role.ADMIN} or answered_by.is_superuser),
        )

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED
