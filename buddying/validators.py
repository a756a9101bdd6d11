"""Validators for the registry's identifiers, shared by models, forms and the importer."""

import re

from django.core.exceptions import ValidationError

# NHS trust ODS codes are three characters: R or T, then two letters or digits (RJ1, TAD).
ODS_TRUST_CODE = re.compile(r"^[RT][A-Z0-9]{2}$")
# The shape of a UK postcode (outward code, a space, inward code); whether it exists is checked
# separately against the offline postcode directory (buddying.postcodes).
POSTCODE_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")


def normalise_postcode(raw: str) -> str:
    """'se17eh ' -> 'SE1 7EH'. Returns the input upper-cased if it is too short to split."""
    compact = "".join(raw.split()).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def validate_ods_code(value: str) -> None:
    if not ODS_TRUST_CODE.match(value or ""):
        raise ValidationError(
            "Enter an ODS trust code: R or T followed by two letters or digits, like RJ1", code="invalid_ods_code"
        )


def validate_postcode_format(value: str) -> None:
    if value and not POSTCODE_SHAPE.match(normalise_postcode(value)):
        raise ValidationError("Enter a real postcode, like SE1 7EH", code="invalid_postcode")
