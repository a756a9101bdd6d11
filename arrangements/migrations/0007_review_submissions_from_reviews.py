"""Copy each review recorded by one person for both sides into two submissions: the supported trust's ratings as
its own, the buddy's ratings as the lead buddy's (the answers to the questions as both), and mark it complete."""

from django.db import migrations
from django.utils import timezone

QUESTIONS = (
    "held_on",
    "objectives_progress",
    "inputs_summary",
    "achieved",
    "serendipitous",
    "did_not_work",
    "continuing_relationships",
    "learning",
    "outcome",
)
RATINGS = ("relationship", "value", "fit", "progress")


def split_reviews(apps, schema_editor):
    Review = apps.get_model("arrangements", "Review")
    ReviewSubmission = apps.get_model("arrangements", "ReviewSubmission")
    ArrangementBuddy = apps.get_model("arrangements", "ArrangementBuddy")
    for review in Review.objects.select_related("arrangement").order_by("pk").iterator():
        entries = list(ArrangementBuddy.objects.filter(arrangement_id=review.arrangement_id).order_by("pk"))
        lead = next((entry for entry in entries if entry.role == "lead"), entries[0] if entries else None)
        common = {name: getattr(review, name) for name in QUESTIONS}
        sides = [("supported", review.arrangement.supported_id)]
        if lead is not None:
            sides.append(("buddy", lead.buddy_id))
        for party, trust_id in sides:
            ReviewSubmission.objects.create(
                review=review,
                trust_id=trust_id,
                party=party,
                submitted_by_id=review.recorded_by_id,
                submitted_at=review.recorded_at,
                **common,
                **{rating: getattr(review, f"{party}_{rating}") for rating in RATINGS},
            )
        review.completed_on = timezone.localtime(review.recorded_at).date()
        review.created_at = review.recorded_at
        review.save(update_fields=["completed_on", "created_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("arrangements", "0006_review_submissions"),
    ]

    operations = [
        migrations.RunPython(split_reviews, migrations.RunPython.noop),
    ]
