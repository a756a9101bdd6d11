"""Great-circle distances in float64.

Haversine, never the chord formula and never float32: a float32 chord distance rounds trusts a few hundred
metres apart to 0 km, which once let a next-door neighbour through the "too near" check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

FloatArray = npt.NDArray[np.float64]


def haversine_km(lat: float, lon: float, lats: npt.ArrayLike, lons: npt.ArrayLike) -> FloatArray:
    """Great-circle distance in km from one point (degrees) to each of many points (degrees), in float64.

    NaN coordinates give NaN distances.
    """
    phi1 = math.radians(lat)
    lam1 = math.radians(lon)
    phi2 = np.radians(np.asarray(lats, dtype=np.float64))
    lam2 = np.radians(np.asarray(lons, dtype=np.float64))
    a = np.sin((phi2 - phi1) * 0.5) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) * 0.5) ** 2
    result: FloatArray = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return result


def haversine_km_scalar(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points (degrees), with the math module."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) * 0.5) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin((math.radians(lon2) - math.radians(lon1)) * 0.5) ** 2
    )
    return 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(a, 1.0)))


@dataclass(frozen=True, eq=False)
class PreparedPoints:
    """Many points with their trigonometry done once, for repeated distance queries (the engine's hot path).

    `np.sin` on float64 costs about 8 ns an element here, so a query must not call it per point. The haversine
    terms sin(dphi/2) and sin(dlambda/2) are expanded with sin(x - y) = sin x cos y - cos x sin y over the
    precomputed half angles: the same haversine formula, exact in float64 to about 1e-12 relative even for
    points metres apart (unlike the spherical law of cosines, which loses short distances to cancellation).
    Unknown points (NaN, or outside the range of latitudes and longitudes) get finite placeholder values; `missing`
    says which they are.
    """

    sin_half_lat: FloatArray
    cos_half_lat: FloatArray
    sin_half_lon: FloatArray
    cos_half_lon: FloatArray
    cos_lat: FloatArray
    missing: npt.NDArray[np.bool_]

    @classmethod
    def from_degrees(cls, lats: npt.ArrayLike, lons: npt.ArrayLike) -> PreparedPoints:
        lat = np.asarray(lats, dtype=np.float64)
        lon = np.asarray(lons, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # NaN compares False, and is missing anyway
            missing = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0))
        half_lat = np.where(missing, 0.0, np.radians(lat)) * 0.5
        half_lon = np.where(missing, 0.0, np.radians(lon)) * 0.5
        return cls(
            sin_half_lat=np.sin(half_lat),
            cos_half_lat=np.cos(half_lat),
            sin_half_lon=np.sin(half_lon),
            cos_half_lon=np.cos(half_lon),
            cos_lat=np.cos(half_lat * 2.0),
            missing=missing,
        )

    def distances_km(self, lat: float, lon: float) -> FloatArray:
        """Distance in km from (lat, lon) in degrees to every point. Missing points get a meaningless finite value:
        callers mask them with `missing`."""
        out = np.empty(self.missing.shape[0], dtype=np.float64)
        self.distances_into(self.query(lat, lon), slice(0, out.shape[0]), out, np.empty_like(out), np.empty_like(out))
        return out

    @staticmethod
    def query(lat: float, lon: float) -> tuple[float, float, float, float]:
        """The scalars of one query point: sin and cos of its half latitude, and sin and cos of its half longitude
        times sqrt(cos latitude) (which folds the cos(phi1) factor of the haversine into them)."""
        h1 = math.radians(lat) * 0.5
        g1 = math.radians(lon) * 0.5
        root_cos = math.sqrt(max(math.cos(2.0 * h1), 0.0))
        return math.sin(h1), math.cos(h1), math.sin(g1) * root_cos, math.cos(g1) * root_cos

    def distances_into(
        self,
        query: tuple[float, float, float, float],
        rows: slice,
        out: FloatArray,
        scratch: FloatArray,
        scratch2: FloatArray,
    ) -> None:
        """Write the distances in km from the query point to the points in `rows` into `out`, using the scratch
        arrays (at least as long) so nothing is allocated: the engine calls this block by block to stay in cache."""
        s_phi1, c_phi1, s_lam1, c_lam1 = query
        size = out.shape[0]
        tmp = scratch[:size]
        tmp2 = scratch2[:size]
        # sin((phi2 - phi1) / 2), squared
        np.multiply(self.sin_half_lat[rows], c_phi1, out=out)
        np.multiply(self.cos_half_lat[rows], s_phi1, out=tmp)
        out -= tmp
        out *= out
        # sin((lam2 - lam1) / 2) sqrt(cos phi1), squared, times cos phi2
        np.multiply(self.sin_half_lon[rows], c_lam1, out=tmp)
        np.multiply(self.cos_half_lon[rows], s_lam1, out=tmp2)
        tmp -= tmp2
        tmp *= tmp
        tmp *= self.cos_lat[rows]
        out += tmp
        np.minimum(out, 1.0, out=out)
        np.sqrt(out, out=out)
        np.arcsin(out, out=out)
        out *= 2.0 * EARTH_RADIUS_KM
