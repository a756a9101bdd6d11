"""Each trust submits its own review: review submissions, and the review becomes a round (complete, regulator's note).

The old one-form reviews are copied into submissions by 0007 and their columns removed by 0008."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("arrangements", "0005_call_offs_the_regulator_controls"),
        ("buddying", "0004_trust_registry_honest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalReviewSubmission",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "party",
                    models.CharField(
                        choices=[("supported", "Supported trust"), ("buddy", "Buddy trust")], max_length=20
                    ),
                ),
                ("held_on", models.DateField(verbose_name="date of the review meeting")),
                ("objectives_progress", models.TextField(verbose_name="progress against the agreed objectives")),
                ("inputs_summary", models.TextField(verbose_name="what each side put in")),
                ("achieved", models.TextField(verbose_name="what has been achieved")),
                ("serendipitous", models.TextField(blank=True, verbose_name="what was achieved that was not planned")),
                ("did_not_work", models.TextField(blank=True, verbose_name="what did not work")),
                (
                    "continuing_relationships",
                    models.TextField(blank=True, verbose_name="relationships that will continue"),
                ),
                ("learning", models.TextField(blank=True, verbose_name="learning to share")),
                (
                    "relationship",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="the relationship",
                    ),
                ),
                (
                    "value",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="value for the time put in",
                    ),
                ),
                (
                    "fit",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="cultural fit",
                    ),
                ),
                (
                    "progress",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="progress",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("continue", "Continue as agreed"),
                            ("adjust", "Continue with changes"),
                            ("end", "End the arrangement"),
                        ],
                        max_length=20,
                        verbose_name="outcome recommended",
                    ),
                ),
                ("submitted_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
            ],
            options={
                "verbose_name": "historical review submission",
                "verbose_name_plural": "historical review submissions",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="ReviewSubmission",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "party",
                    models.CharField(
                        choices=[("supported", "Supported trust"), ("buddy", "Buddy trust")], max_length=20
                    ),
                ),
                ("held_on", models.DateField(verbose_name="date of the review meeting")),
                ("objectives_progress", models.TextField(verbose_name="progress against the agreed objectives")),
                ("inputs_summary", models.TextField(verbose_name="what each side put in")),
                ("achieved", models.TextField(verbose_name="what has been achieved")),
                ("serendipitous", models.TextField(blank=True, verbose_name="what was achieved that was not planned")),
                ("did_not_work", models.TextField(blank=True, verbose_name="what did not work")),
                (
                    "continuing_relationships",
                    models.TextField(blank=True, verbose_name="relationships that will continue"),
                ),
                ("learning", models.TextField(blank=True, verbose_name="learning to share")),
                (
                    "relationship",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="the relationship",
                    ),
                ),
                (
                    "value",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="value for the time put in",
                    ),
                ),
                (
                    "fit",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="cultural fit",
                    ),
                ),
                (
                    "progress",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="progress",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("continue", "Continue as agreed"),
                            ("adjust", "Continue with changes"),
                            ("end", "End the arrangement"),
                        ],
                        max_length=20,
                        verbose_name="outcome recommended",
                    ),
                ),
                ("submitted_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["-party", "trust__name"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="reminder",
            name="reminder_kind_valid",
        ),
        migrations.AddField(
            model_name="historicalreview",
            name="completed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalreview",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="historicalreview",
            name="regulator_note",
            field=models.TextField(blank=True, verbose_name="note from the regulator"),
        ),
        migrations.AddField(
            model_name="historicalreview",
            name="regulator_note_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalreview",
            name="regulator_note_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="review",
            name="completed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="review",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="review",
            name="regulator_note",
            field=models.TextField(blank=True, verbose_name="note from the regulator"),
        ),
        migrations.AddField(
            model_name="review",
            name="regulator_note_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="review",
            name="regulator_note_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalreview",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("continue", "Continue as agreed"),
                    ("adjust", "Continue with changes"),
                    ("end", "End the arrangement"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="kind",
            field=models.CharField(
                choices=[
                    ("review-due", "Review due soon"),
                    ("review-overdue", "Review overdue"),
                    ("milestone-due", "Milestone due soon"),
                    ("milestone-overdue", "Milestone overdue"),
                    ("terms-unsigned", "Terms of reference not signed"),
                ],
                max_length=30,
            ),
        ),
        migrations.AlterField(
            model_name="review",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("continue", "Continue as agreed"),
                    ("adjust", "Continue with changes"),
                    ("end", "End the arrangement"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        ["review-due", "review-overdue", "milestone-due", "milestone-overdue", "terms-unsigned"],
                    )
                ),
                name="reminder_kind_valid",
            ),
        ),
        migrations.AddField(
            model_name="historicalreviewsubmission",
            name="history_user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="historicalreviewsubmission",
            name="review",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="arrangements.review",
            ),
        ),
        migrations.AddField(
            model_name="historicalreviewsubmission",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalreviewsubmission",
            name="trust",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="buddying.trust",
            ),
        ),
        migrations.AddField(
            model_name="reviewsubmission",
            name="review",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="submissions", to="arrangements.review"
            ),
        ),
        migrations.AddField(
            model_name="reviewsubmission",
            name="submitted_by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="reviewsubmission",
            name="trust",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="buddying.trust"),
        ),
        migrations.AddConstraint(
            model_name="reviewsubmission",
            constraint=models.UniqueConstraint(fields=("review", "trust"), name="review_submission_once_per_trust"),
        ),
        migrations.AddConstraint(
            model_name="reviewsubmission",
            constraint=models.CheckConstraint(
                condition=models.Q(("party__in", ["supported", "buddy"])), name="review_submission_party_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewsubmission",
            constraint=models.CheckConstraint(
                condition=models.Q(("outcome__in", ["continue", "adjust", "end"])),
                name="review_submission_outcome_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewsubmission",
            constraint=models.CheckConstraint(
                condition=models.Q(("relationship__gte", 1), ("relationship__lte", 5)),
                name="review_submission_relationship_1_to_5",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewsubmission",
            constraint=models.CheckConstraint(
                condition=models.Q(("value__gte", 1), ("value__lte", 5)), name="review_submission_value_1_to_5"
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewsubmission",
            constraint=models.CheckConstraint(
                condition=models.Q(("fit__gte", 1), ("fit__lte", 5)), name="review_submission_fit_1_to_5"
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewsubmission",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress__gte", 1), ("progress__lte", 5)), name="review_submission_progress_1_to_5"
            ),
        ),
    ]
