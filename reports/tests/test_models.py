import datetime as dt

import pytest
from django.db import IntegrityError

from reports.models import ExportJob, ExportRecord
from reports.tests.conftest import LONDON

pytestmark = pytest.mark.django_db


def test_an_export_record_says_what_was_exported_by_whom(regulator):
    record = ExportRecord.objects.create(
        user=regulator,
        report="register",
        file_format="csv",
        filters={"status": ["active"]},
        row_count=12,
        created_at=dt.datetime(2027, 6, 15, 9, 30, tzinfo=LONDON),
    )
    assert str(record) == f"Arrangements register as CSV: 12 rows by {regulator} on 15 Jun 2027 09:30"


def test_an_export_job_says_what_it_is_and_has_a_page(regulator):
    job = ExportJob.objects.create(
        requested_by=regulator, report="value-for-money", file_format="xlsx", download_name="value-for-money.xlsx"
    )
    assert str(job).startswith("Value for money as Excel (XLSX) for ")
    assert str(job).endswith("(waiting to start)")
    assert job.get_absolute_url() == f"/reports/exports/{job.pk}/"
    assert not job.is_finished


@pytest.mark.parametrize(
    "fields",
    [
        {"report": "nonsense"},
        {"file_format": "docx"},
        {"status": "lost"},
        {"progress": 101},
        {"status": "done"},  # a finished export has a file
    ],
)
def test_the_database_refuses_an_impossible_export_job(regulator, fields):
    values = {"requested_by": regulator, "report": "register", "file_format": "csv", "download_name": "x.csv"}
    with pytest.raises(IntegrityError):
        ExportJob.objects.create(**{**values, **fields})


def test_the_database_refuses_an_unknown_report_in_the_audit_record(regulator):
    with pytest.raises(IntegrityError):
        ExportRecord.objects.create(user=regulator, report="secrets", file_format="csv", row_count=1)
