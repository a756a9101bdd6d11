"""`manage.py import_trusts`: real ODS data, idempotent upserts, and bad files that change nothing."""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command

from buddying.models import Region, Trust
from buddying.tests.factories import TrustFactory

pytestmark = pytest.mark.django_db

REAL_TRUSTS = Path(settings.BASE_DIR).parent / "shared" / "data" / "nhs-trusts.geojson"


def run_import(path: Path) -> str:
    out = io.StringIO()
    call_command("import_trusts", str(path), stdout=out)
    return out.getvalue()


def write_geojson(tmp_path: Path, features: list) -> Path:
    path = tmp_path / "trusts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feature(
    org_id="RJ1", name="GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", post_code="SE1 7EH", coordinates=(-0.1189, 51.498)
):
    geometry = None if coordinates is None else {"type": "Point", "coordinates": list(coordinates)}
    return {
        "type": "Feature",
        "properties": {"name": name, "org_id": org_id, "post_code": post_code},
        "geometry": geometry,
    }


def ods_row(code="RJ1", name="GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", grouping="Y56", postcode="SE1 7EH", close=""):
    row = [""] * 27
    row[0], row[1], row[2], row[3], row[9], row[10], row[11] = code, name, grouping, "QKK", postcode, "19930401", close
    return row


def write_ods_csv(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "etr.csv"
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(rows)
    path.write_text(buffer.getvalue())
    return path


def test_the_real_ods_file_imports_all_252_trusts_with_locations():
    assert REAL_TRUSTS.exists(), f"{REAL_TRUSTS} is missing: CI checks out shared/ beside the repository"
    output = run_import(REAL_TRUSTS)
    assert "252 created, 0 updated, 0 unchanged" in output
    airedale = Trust.objects.get(ods_code="RCF")
    assert airedale.name == "Airedale NHS Foundation Trust"
    assert airedale.is_foundation_trust
    assert airedale.postcode == "BD20 6TD"
    assert (round(airedale.latitude, 3), round(airedale.longitude, 3)) == (53.898, -1.965)
    assert Trust.objects.located().count() == 252
    assert Trust.objects.open().count() == 252


def test_importing_the_real_file_guesses_no_type_region_or_teaching_status():
    run_import(REAL_TRUSTS)
    # The file has only names, codes and postcodes: Guy's and St Thomas' is not a district general
    # hospital, nor is an "Integrated Care" trust a mental health trust, just because of their names.
    assert set(Trust.objects.values_list("trust_type", flat=True)) == {""}
    assert set(Trust.objects.values_list("region", flat=True)) == {""}
    assert not Trust.objects.filter(is_teaching=True).exists()
    assert Trust.objects.get(ods_code="RJ1").get_trust_type_display() == ""


def test_importing_never_changes_an_existing_trusts_type():
    TrustFactory(ods_code="RJ1", trust_type=Trust.TrustType.ACUTE_LARGE_TEACHING, is_teaching=True)
    TrustFactory(ods_code="RTD", trust_type=Trust.TrustType.ACUTE_LARGE_TEACHING)
    TrustFactory(ods_code="RX9", trust_type="")
    output = run_import(REAL_TRUSTS)
    assert "249 created, 3 updated, 0 unchanged" in output
    types = dict(Trust.objects.filter(ods_code__in=["RJ1", "RTD", "RX9"]).values_list("ods_code", "trust_type"))
    assert types == {"RJ1": "acute-large-teaching", "RTD": "acute-large-teaching", "RX9": ""}
    assert Trust.objects.get(ods_code="RJ1").is_teaching
    run_import(REAL_TRUSTS)
    assert Trust.objects.get(ods_code="RTD").trust_type == Trust.TrustType.ACUTE_LARGE_TEACHING


def test_the_summary_says_how_many_trusts_have_no_type_and_where_to_set_them():
    TrustFactory(ods_code="RJ1", trust_type=Trust.TrustType.ACUTE_LARGE_TEACHING)
    output = run_import(REAL_TRUSTS)
    assert output.count("\n") == 1
    assert "251 open trusts have no type recorded" in output
    assert f"{settings.SITE_URL}/trusts/?trust_type=not-known" in output


def test_the_summary_says_nothing_about_types_when_every_trust_has_one(tmp_path):
    TrustFactory(ods_code="RJ1", name="Guy's and St Thomas' NHS Foundation Trust", trust_type="acute-large-teaching")
    output = run_import(write_geojson(tmp_path, [feature()]))
    assert output == "Imported trusts.geojson: 0 created, 0 updated, 1 unchanged.\n"


def test_importing_the_same_file_again_changes_nothing():
    run_import(REAL_TRUSTS)
    assert "0 created, 0 updated, 252 unchanged" in run_import(REAL_TRUSTS)


def test_a_changed_row_updates_that_trust_only_and_keeps_what_staff_edited(tmp_path):
    TrustFactory(
        ods_code="RJ1",
        name="Guy's and St Thomas' NHS Foundation Trust",
        postcode="SE1 7EH",
        latitude=51.498,
        longitude=-0.1189,
        cqc_rating=Trust.CqcRating.OUTSTANDING,
    )
    TrustFactory(
        ods_code="RJZ",
        name="King's College Hospital NHS Foundation Trust",
        postcode="SE5 9RS",
        latitude=51.468,
        longitude=-0.094,
    )
    path = write_geojson(
        tmp_path,
        [
            feature(coordinates=(-0.1189, 51.498)),
            feature(
                org_id="RJZ",
                name="KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST",
                post_code="SE5 9RS",
                coordinates=(-0.0935, 51.4683),
            ),
        ],
    )
    assert "0 created, 1 updated, 1 unchanged" in run_import(path)
    kings = Trust.objects.get(ods_code="RJZ")
    assert (kings.latitude, kings.longitude) == (51.4683, -0.0935)
    assert Trust.objects.get(ods_code="RJ1").cqc_rating == Trust.CqcRating.OUTSTANDING


def test_the_ods_csv_layout_imports_with_region_and_postcode_location(tmp_path):
    path = write_ods_csv(
        tmp_path,
        [ods_row(), ods_row(code="RCF", name="AIREDALE NHS FOUNDATION TRUST", grouping="Y63", postcode="BD20 6TD")],
    )
    assert "2 created" in run_import(path)
    guys = Trust.objects.get(ods_code="RJ1")
    assert guys.name == "Guy's and St Thomas' NHS Foundation Trust"
    assert guys.region == Region.LONDON
    assert 51.49 < guys.latitude < 51.51
    assert Trust.objects.get(ods_code="RCF").region == Region.NORTH_EAST_YORKSHIRE


def test_closed_trusts_new_to_the_registry_are_left_out(tmp_path):
    path = write_ods_csv(tmp_path, [ods_row(), ods_row(code="RQX", name="HOMERTON NHS TRUST", close="20200331")])
    assert "1 created, 0 updated, 0 unchanged, 1 closed trust not in the registry left out" in run_import(path)
    assert not Trust.objects.filter(ods_code="RQX").exists()


@time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False)
def test_an_ods_row_with_a_close_date_marks_the_trust_closed(tmp_path):
    # A retired postcode on a closed organisation's row does not stop the import.
    TrustFactory(ods_code="RQX", name="Homerton Healthcare NHS Foundation Trust", trust_type="community")
    path = write_ods_csv(tmp_path, [ods_row(), ods_row(code="RQX", postcode="ZZ9 9ZZ", close="20260331")])
    assert "1 created, 1 updated, 0 unchanged" in run_import(path)
    homerton = Trust.objects.get(ods_code="RQX")
    assert homerton.closed_on == dt.date(2026, 3, 31)
    assert (homerton.name, homerton.postcode, homerton.trust_type) == (
        "Homerton Healthcare NHS Foundation Trust",
        "SE1 7EH",
        "community",
    )
    assert list(Trust.objects.open().values_list("ods_code", flat=True)) == ["RJ1"]


@time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False)
def test_a_trust_closing_after_the_import_is_imported_with_its_closure_date(tmp_path):
    path = write_ods_csv(tmp_path, [ods_row(close="20260930")])
    assert "1 created" in run_import(path)
    guys = Trust.objects.get(ods_code="RJ1")
    assert guys.closed_on == dt.date(2026, 9, 30)
    assert not guys.is_closed
    assert Trust.objects.open().get() == guys


def test_a_file_without_a_close_date_never_reopens_a_closed_trust(tmp_path):
    TrustFactory(
        ods_code="RJ1",
        name="Guy's and St Thomas' NHS Foundation Trust",
        region=Region.LONDON,
        latitude=51.498,
        longitude=-0.1189,
        closed_on=dt.date(2024, 3, 31),
    )
    assert "1 unchanged" in run_import(write_geojson(tmp_path, [feature()]))
    assert Trust.objects.get(ods_code="RJ1").closed_on == dt.date(2024, 3, 31)


@time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False)
def test_geojson_region_and_closure_properties_are_read_when_present(tmp_path):
    TrustFactory(ods_code="RQX", name="Homerton Healthcare NHS Foundation Trust")
    by_name = feature()
    by_name["properties"]["region"] = "London"
    by_code = feature(org_id="RCF", name="AIREDALE NHS FOUNDATION TRUST", post_code="BD20 6TD", coordinates=None)
    by_code["properties"].update(region="Y63", closed_on="2026-12-31")
    closed = feature(org_id="RQX", name="HOMERTON HEALTHCARE NHS FOUNDATION TRUST", post_code="E9 6SR")
    closed["properties"]["legal_end_date"] = "2025-03-31"
    gone = feature(org_id="RNH", name="NEWHAM UNIVERSITY HOSPITAL NHS TRUST", post_code="E13 8SL")
    gone["properties"]["closed_on"] = "2012-03-31"
    output = run_import(write_geojson(tmp_path, [by_name, by_code, closed, gone]))
    assert "2 created, 1 updated, 0 unchanged, 1 closed trust not in the registry left out" in output
    trusts = {trust.ods_code: trust for trust in Trust.objects.all()}
    assert (trusts["RJ1"].region, trusts["RJ1"].closed_on) == (Region.LONDON, None)
    assert (trusts["RCF"].region, trusts["RCF"].closed_on) == (Region.NORTH_EAST_YORKSHIRE, dt.date(2026, 12, 31))
    assert trusts["RQX"].closed_on == dt.date(2025, 3, 31)
    assert "RNH" not in trusts


BAD_FILES = {
    "empty file": ("trusts.csv", "", "the file is empty"),
    "not JSON": ("trusts.geojson", '{"type": "FeatureCollection", "features": [', "not valid JSON"),
    "not a feature collection": ("trusts.geojson", json.dumps({"type": "Feature"}), "not a GeoJSON FeatureCollection"),
    "no features": ("trusts.geojson", json.dumps({"type": "FeatureCollection", "features": []}), "holds no trusts"),
    "bad ODS code in row 2": (
        "trusts.geojson",
        json.dumps({"type": "FeatureCollection", "features": [feature(), feature(org_id="X1")]}),
        "row 2: ODS code 'X1' is not a trust code",
    ),
    "missing name": (
        "trusts.geojson",
        json.dumps({"type": "FeatureCollection", "features": [feature(name="")]}),
        "row 1: the name is empty",
    ),
    "malformed postcode": (
        "trusts.geojson",
        json.dumps({"type": "FeatureCollection", "features": [feature(post_code="NOT A CODE")]}),
        "row 1: postcode 'NOT A CODE' is not a postcode",
    ),
    "unknown postcode and no geometry": (
        "trusts.geojson",
        json.dumps({"type": "FeatureCollection", "features": [feature(post_code="ZZ9 9ZZ", coordinates=None)]}),
        "row 1: postcode ZZ9 9ZZ is not in the postcode directory",
    ),
    "latitude and longitude swapped": (
        "trusts.geojson",
        json.dumps({"type": "FeatureCollection", "features": [feature(coordinates=(51.498, -0.1189))]}),
        "row 1: the location (51.498, -0.1189) is outside Great Britain",
    ),
    "repeated ODS code": (
        "trusts.geojson",
        json.dumps({"type": "FeatureCollection", "features": [feature(), feature()]}),
        "row 2: ODS code RJ1 is repeated (first at feature 1)",
    ),
    "unknown region": (
        "trusts.geojson",
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{**feature(), "properties": {**feature()["properties"], "region": "Wessex"}}],
            }
        ),
        "row 1: region 'Wessex' is not an NHS England region",
    ),
    "unreadable closure date": (
        "trusts.geojson",
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{**feature(), "properties": {**feature()["properties"], "closed_on": "31/03/2025"}}],
            }
        ),
        "row 1: closed_on '31/03/2025' is not a date like 2024-03-31",
    ),
    "CSV with the wrong columns": ("etr.csv", "RJ1,GUYS,SE1 7EH\n", "row 1: expected 27 columns"),
    "CSV with a bad close date": (
        "etr.csv",
        ",".join(f'"{cell}"' for cell in ods_row(close="31/03/2020")) + "\n",
        "row 1: close date '31/03/2020' is not a date",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_refused_with_the_row_and_problem_and_writes_nothing(tmp_path, case):
    name, content, message = BAD_FILES[case]
    TrustFactory(ods_code="RJ1", name="Unchanged NHS Trust")
    before = list(Trust.objects.values_list("ods_code", "name", "latitude").order_by("ods_code"))
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CommandError) as error:
        run_import(path)
    assert message in str(error.value)
    assert "Nothing was imported" in str(error.value)
    assert "\n" not in str(error.value)
    assert list(Trust.objects.values_list("ods_code", "name", "latitude").order_by("ods_code")) == before


def test_a_file_with_many_problems_reports_the_first_and_counts_the_rest(tmp_path):
    path = write_geojson(tmp_path, [feature(org_id="X1"), feature(org_id="RJZ", post_code="??"), feature(org_id="RK9")])
    with pytest.raises(CommandError) as error:
        run_import(path)
    assert "row 1: ODS code 'X1' is not a trust code" in str(error.value)
    assert "(and 1 more problem)" in str(error.value)
    assert not Trust.objects.exists()


def test_a_missing_file_is_one_readable_line(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run_import(tmp_path / "nowhere.csv")
