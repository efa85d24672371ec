"""Reads the official administrative units shipped by the MIT-licensed `vietnamadminunits` package
(both trees, with official codes and coordinates). Read-only; no online geocoder is ever called."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from .models import AdminLevel, AdminTree


@dataclass(frozen=True)
class OfficialUnit:
    level: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_code: str | None
    latitude: float | None
    longitude: float | None
    area_km2: float | None = None


def _connect() -> sqlite3.Connection:
    path = resources.files("vietnamadminunits") / "data" / "dataset.db"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _province_kind(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def official_units(tree: str, province_code: str | None = None) -> Iterator[OfficialUnit]:
    """Units of one tree, parents before children; one province or (None) the whole country."""
    with _connect() as conn:
        conn.row_factory = sqlite3.Row
        if tree == AdminTree.LEGACY_2021:
            rows = conn.execute(
                "SELECT * FROM admin_units_legacy WHERE (? IS NULL OR provinceCode = ?) "
                "ORDER BY provinceCode, districtCode, wardCode",
                (province_code, province_code),
            ).fetchall()
        elif tree == AdminTree.CURRENT_2025:
            rows = conn.execute(
                "SELECT * FROM admin_units WHERE (? IS NULL OR provinceCode = ?) ORDER BY provinceCode, wardCode",
                (province_code, province_code),
            ).fetchall()
        else:
            raise ValueError(f"unknown tree {tree!r}")
    seen: set[tuple[int, str]] = set()
    for row in rows:
        keys = row.keys()
        if ("p", row["provinceCode"]) not in seen:
            seen.add(("p", row["provinceCode"]))
            yield OfficialUnit(
                AdminLevel.PROVINCE, row["provinceCode"], row["province"], row["provinceShort"],
                _province_kind(row["province"]), None, row["provinceLat"], row["provinceLon"],
            )
        parent = row["provinceCode"]
        if "districtCode" in keys:
            if ("d", row["districtCode"]) not in seen:
                seen.add(("d", row["districtCode"]))
                yield OfficialUnit(
                    AdminLevel.DISTRICT, row["districtCode"], row["district"], row["districtShort"],
                    row["districtType"] or "", row["provinceCode"], row["districtLat"], row["districtLon"],
                )
            parent = row["districtCode"]
        if not row["wardCode"]:
            continue  # island districts without communes (Bạch Long Vĩ, Côn Đảo…)
        yield OfficialUnit(
            AdminLevel.COMMUNE, row["wardCode"], row["ward"], row["wardShort"], row["wardType"] or "",
            parent, row["wardLat"], row["wardLon"], row["wardAreaKm2"] if "wardAreaKm2" in keys else None,
        )


def province_codes(tree: str) -> list[str]:
    table = "admin_units_legacy" if tree == AdminTree.LEGACY_2021 else "admin_units"
    with _connect() as conn:
        return [r[0] for r in conn.execute(f"SELECT DISTINCT provinceCode FROM {table} ORDER BY 1")]  # noqa: S608
