"""Reading organisation data files into plain trust records, checking every row first.

Two layouts are read:
- the NHS Organisation Data Service trust file (etr.csv): no header, 27 columns, of which we use
  0 organisation code, 1 name, 2 national grouping (the NHS England region), 9 postcode and
  11 close date;
- a GeoJSON FeatureCollection of Points with properties `name`, `org_id` and `post_code`, and
  optionally `region` (an NHS England region's name or ODS code, such as Y56) and `closed_on` or
  `legal_end_date` (an ISO date).

Neither layout says what type of trust an organisation is, so nothing here guesses one: a trust's
name is not evidence of its type. A row closed on or before the day of the import becomes a
`TrustClosure`, which only marks a trust already in the registry closed.

Nothing here writes to the database: `buddying.services.trusts_import` does, all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from django.core.exceptions import ValidationError

from buddying.models import Region, Trust
from buddying.postcodes import UnknownPostcode, locate_postcode
from buddying.validators import normalise_postcode, validate_ods_code, validate_postcode_format

ODS_COLUMNS = 27
# ODS "national grouping" codes of the seven NHS England regions.
ODS_REGION_CODES = {
    "Y56": Region.LONDON,
    "Y58": Region.SOUTH_WEST,
    "Y59": Region.SOUTH_EAST,
    "Y60": Region.MIDLANDS,
    "Y61": Region.EAST_OF_ENGLAND,
    "Y62": Region.NORTH_WEST,
    "Y63": Region.NORTH_EAST_YORKSHIRE,
}
# Great Britain with a margin: a point outside it is a swapped or mistyped coordinate.
LATITUDE_RANGE = (49.5, 61.0)
LONGITUDE_RANGE = (-8.7, 2.0)


@dataclass(frozen=True)
class TrustRecord:
    """An open trust (or one with a closure planned after the import) to create or update."""

    row: int
    ods_code: str
    name: str
    postcode: str
    latitude: float
    longitude: float
    region: str = ""
    closed_on: dt.date | None = None


@dataclass(frozen=True)
class TrustClosure:
    """A trust the file says closed on or before the day of the import.

    Only the code and the date are read: a closed organisation's other details may be long out of
    date (a postcode since retired), and they are never needed.
    """

    row: int
    ods_code: str
    closed_on: dt.date


ImportRow = TrustRecord | TrustClosure


@dataclass(frozen=True)
class RowProblem:
    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


class ImportFileError(Exception):
    """The file cannot be imported. `problems` lists every bad row; str() is one readable line."""

    def __init__(self, problems: list[RowProblem] | str):
        self.problems = [RowProblem(0, problems)] if isinstance(problems, str) else problems
        first = self.problems[0]
        line = first.message if first.row == 0 else str(first)
        more = len(self.problems) - 1
        super().__init__(f"{line} (and {more} more problem{'s' if more != 1 else ''})" if more else line)


_SMALL_WORDS = {"and", "of", "the", "for", "in", "on", "at"}
_KEEP_UPPER = {"NHS", "UK", "2GETHER", "WWL", "BHR"}


def tidy_name(raw: str) -> str:
    """ODS names are upper case: KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST -> King's College Hospital NHS ..."""
    words = []
    for index, word in enumerate(raw.split()):
        if word.upper() in _KEEP_UPPER:
            words.append(word.upper())
        elif index > 0 and word.lower() in _SMALL_WORDS:
            words.append(word.lower())
        else:
            # Capitalise each hyphenated part, leaving the letter after an apostrophe small (King's).
            words.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(words)


def _check_identity(row: int, ods_code: str, name: str, raw_postcode: str, problems: list[RowProblem]) -> bool:
    ok = True
    if not _is_trust_code(ods_code):
        problems.append(RowProblem(row, f"ODS code {ods_code!r} is not a trust code (R or T and two characters)"))
        ok = False
    if not name:
        problems.append(RowProblem(row, "the name is empty"))
        ok = False
    elif len(name) > cast(int, Trust._meta.get_field("name").max_length):
        problems.append(RowProblem(row, "the name is longer than 200 characters"))
        ok = False
    try:
        if not raw_postcode.strip():
            raise ValidationError("empty")
        validate_postcode_format(raw_postcode)
    except ValidationError:
        problems.append(RowProblem(row, f"postcode {raw_postcode.strip()!r} is not a postcode"))
        ok = False
    return ok


def _locate(row: int, postcode: str, problems: list[RowProblem]) -> tuple[float, float] | None:
    try:
        location = locate_postcode(postcode)
    except UnknownPostcode:
        problems.append(RowProblem(row, f"postcode {postcode} is not in the postcode directory"))
        return None
    return location.latitude, location.longitude


def _is_trust_code(ods_code: str) -> bool:
    try:
        validate_ods_code(ods_code)
    except ValidationError:
        return False
    return True


def _region(row: int, raw: object, problems: list[RowProblem]) -> str | None:
    """An NHS England region from its name ("North West"), our slug or its ODS code (Y62).

    Blank when the file gives none; None (and a problem) when it gives one we do not know.
    """
    value = str(raw or "").strip()
    if not value:
        return ""
    wanted = value.casefold()
    for code, region in ODS_REGION_CODES.items():
        if wanted in {code.casefold(), region.value, region.label.casefold()}:
            return region.value
    problems.append(RowProblem(row, f"region {value!r} is not an NHS England region (a name, or a code like Y56)"))
    return None


def _finish(records: list[ImportRow], problems: list[RowProblem], unit: str) -> list[ImportRow]:
    seen: dict[str, int] = {}
    for record in records:
        if record.ods_code in seen:
            problems.append(
                RowProblem(
                    record.row, f"ODS code {record.ods_code} is repeated (first at {unit} {seen[record.ods_code]})"
                )
            )
        seen.setdefault(record.ods_code, record.row)
    if problems:
        raise ImportFileError(sorted(problems, key=lambda problem: problem.row))
    if not records:
        raise ImportFileError("the file holds no trusts")
    return records


def _csv_rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """Numbered rows of a CSV; a row the csv module cannot read (a field over its 128 KiB limit, a broken quote)
    becomes an ImportFileError naming the row, not a traceback."""
    reader = csv.reader(io.StringIO(text))
    row_number = 0
    while True:
        row_number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError([RowProblem(row_number, f"the row cannot be read as CSV ({error})")]) from None
        yield row_number, cells


def read_ods_csv(text: str, *, today: dt.date) -> list[ImportRow]:
    """Records from an ODS etr.csv; a trust closed on or before `today` is a TrustClosure."""
    records: list[ImportRow] = []
    problems: list[RowProblem] = []
    for row_number, cells in _csv_rows(text):
        if not any(cell.strip() for cell in cells):
            continue
        if row_number == 1 and cells[0].strip().lower() in {"organisation code", "org_id", "code"}:
            continue  # a header row some exports add
        if len(cells) != ODS_COLUMNS:
            problems.append(
                RowProblem(row_number, f"expected {ODS_COLUMNS} columns (ODS trust layout), found {len(cells)}")
            )
            continue
        ods_code, raw_name, grouping = cells[0].strip().upper(), cells[1].strip(), cells[2].strip().upper()
        raw_postcode = cells[9]
        postcode = normalise_postcode(raw_postcode)
        close_date = cells[11].strip()
        closed_on: dt.date | None = None
        if close_date:
            try:
                closed_on = dt.date.fromisoformat(close_date) if len(close_date) == 8 else None
                if closed_on is None:
                    raise ValueError(close_date)
            except ValueError:
                problems.append(RowProblem(row_number, f"close date {close_date!r} is not a date like 20240331"))
                continue
            if closed_on <= today:
                # Old rows are kept in the file for ever; a code we could never hold is simply skipped.
                if _is_trust_code(ods_code):
                    records.append(TrustClosure(row=row_number, ods_code=ods_code, closed_on=closed_on))
                continue
        if not _check_identity(row_number, ods_code, raw_name, raw_postcode, problems):
            continue
        location = _locate(row_number, postcode, problems)
        if location is None:
            continue
        records.append(
            TrustRecord(
                row=row_number,
                ods_code=ods_code,
                name=tidy_name(raw_name),
                postcode=postcode,
                latitude=location[0],
                longitude=location[1],
                region=ODS_REGION_CODES.get(grouping, ""),
                closed_on=closed_on,
            )
        )
    return _finish(records, problems, "row")


def _coordinates(row: int, geometry: object, problems: list[RowProblem]) -> tuple[float, float] | None:
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        problems.append(RowProblem(row, "the geometry is not a Point"))
        return None
    position = geometry.get("coordinates")
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(isinstance(value, int | float) and not isinstance(value, bool) for value in position[:2])
    ):
        problems.append(RowProblem(row, "the Point has no [longitude, latitude] numbers"))
        return None
    longitude, latitude = float(position[0]), float(position[1])
    if not (
        LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1] and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]
    ):
        problems.append(
            RowProblem(
                row, f"the location ({longitude}, {latitude}) is outside Great Britain (is it [longitude, latitude]?)"
            )
        )
        return None
    return round(latitude, 6), round(longitude, 6)


def _geojson_closed_on(row: int, properties: dict, problems: list[RowProblem]) -> tuple[bool, dt.date | None]:
    """(readable, date) from `closed_on`, or else `legal_end_date`; (True, None) when neither is given."""
    for key in ("closed_on", "legal_end_date"):
        raw = str(properties.get(key) or "").strip()
        if not raw:
            continue
        try:
            return True, dt.date.fromisoformat(raw[:10])
        except ValueError:
            problems.append(RowProblem(row, f"{key} {raw!r} is not a date like 2024-03-31"))
            return False, None
    return True, None


def read_geojson(text: str, *, today: dt.date) -> list[ImportRow]:
    """Records from a FeatureCollection; a feature with no geometry is located by its postcode.

    A feature closed on or before `today` is a TrustClosure. Region is read only from a `region`
    property: never inferred from the location, which would put border trusts in the wrong region.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"the file is not valid JSON (line {error.lineno}: {error.msg})") from None
    except RecursionError:
        raise ImportFileError("the file is JSON nested too deeply to be a GeoJSON FeatureCollection") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError("the file is not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError("the FeatureCollection has no list of features")
    records: list[ImportRow] = []
    problems: list[RowProblem] = []
    for row_number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            problems.append(RowProblem(row_number, "the feature has no properties"))
            continue
        ods_code = str(properties.get("org_id") or "").strip().upper()
        raw_name = str(properties.get("name") or "").strip()
        raw_postcode = str(properties.get("post_code") or "")
        postcode = normalise_postcode(raw_postcode)
        readable, closed_on = _geojson_closed_on(row_number, properties, problems)
        if not readable:
            continue
        if closed_on is not None and closed_on <= today:
            if _is_trust_code(ods_code):
                records.append(TrustClosure(row=row_number, ods_code=ods_code, closed_on=closed_on))
            continue
        identity_ok = _check_identity(row_number, ods_code, raw_name, raw_postcode, problems)
        region = _region(row_number, properties.get("region"), problems)
        if not identity_ok or region is None:
            continue
        geometry = feature.get("geometry")
        location = (
            _locate(row_number, postcode, problems)
            if geometry is None
            else _coordinates(row_number, geometry, problems)
        )
        if location is None:
            continue
        records.append(
            TrustRecord(
                row=row_number,
                ods_code=ods_code,
                name=tidy_name(raw_name),
                postcode=postcode,
                latitude=location[0],
                longitude=location[1],
                region=region,
                closed_on=closed_on,
            )
        )
    return _finish(records, problems, "feature")


def read_trust_file(path: Path, *, today: dt.date) -> list[ImportRow]:
    """Read either layout, chosen by the file's content rather than its name."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror}") from None
    if b"\x00" in raw:
        # No trust file holds a NUL byte: this is a binary file (a spreadsheet, an archive), not CSV or GeoJSON.
        raise ImportFileError("the file is binary (it holds a NUL byte): export it as CSV or GeoJSON")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # ODS files have historically been Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    if not text.strip():
        raise ImportFileError("the file is empty")
    if text.lstrip().startswith("{"):
        return read_geojson(text, today=today)
    return read_ods_csv(text, today=today)


def changed_fields(trust: Trust, record: ImportRow) -> Iterable[str]:
    """The fields of an existing trust that the record would change.

    Region and closure only if the file gives them: a file that says nothing never clears what
    regulator staff recorded. The type is never touched: no file we read knows it.
    """
    wanted: dict[str, object]
    if isinstance(record, TrustClosure):
        wanted = {"closed_on": record.closed_on}
    else:
        wanted = {
            "name": record.name,
            "postcode": record.postcode,
            "latitude": record.latitude,
            "longitude": record.longitude,
        }
        if record.region:
            wanted["region"] = record.region
        if record.closed_on:
            wanted["closed_on"] = record.closed_on
    return [field for field, value in wanted.items() if getattr(trust, field) != value]
