import math

import pytest

from buddying.postcodes import UnknownPostcode, locate_postcode
from buddying.validators import normalise_postcode


def test_a_known_postcode_gives_its_location_without_the_network():
    # St Thomas' Hospital, London.
    location = locate_postcode("SE1 7EH")
    assert math.isclose(location.latitude, 51.498, abs_tol=0.002)
    assert math.isclose(location.longitude, -0.119, abs_tol=0.002)


def test_spacing_and_case_do_not_matter():
    assert locate_postcode("se17eh") == locate_postcode(" SE1  7EH ")


def test_a_postcode_in_the_north_is_in_the_north():
    # Airedale General Hospital, from the ODS trust data.
    location = locate_postcode("BD20 6TD")
    assert 53.8 < location.latitude < 54.0
    assert -2.1 < location.longitude < -1.8


@pytest.mark.parametrize("postcode", ["ZZ1 1ZZ", "SE1 0QQ", "M1 9QQ"])
def test_a_well_formed_postcode_that_does_not_exist_is_unknown(postcode):
    with pytest.raises(UnknownPostcode):
        locate_postcode(postcode)


@pytest.mark.parametrize("postcode", ["", "hello", "12345", "SE1"])
def test_something_that_is_not_a_postcode_is_unknown(postcode):
    with pytest.raises(UnknownPostcode):
        locate_postcode(postcode)


@pytest.mark.parametrize(("raw", "expected"), [("se17eh", "SE1 7EH"), ("M1 1AE", "M1 1AE"), ("  ec1a1bb ", "EC1A 1BB")])
def test_postcodes_are_normalised(raw, expected):
    assert normalise_postcode(raw) == expected
