"""What each kind of import accepts, and how one row becomes the resource's create schema.

A row is validated exactly like a POST of the resource: its spec's create schema (with
`community_id` from the query where the schema has one), then the spec's `prepare` rules. The
rules that look at other records run batched (`References`); each `prepare` below names the
spec hook it mirrors and applies the same checks in the same order. One rule is the import's
own: every referenced compound or building must belong to the imported community.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel

from firesafe_kit.crud.spec import ResourceSpec
from registry.imports.csv_rows import CATEGORY_ALIASES, boolean_cell, date_cell, list_cell
from registry.imports.references import References
from registry.models import Building, Compound, Grid
from registry.resources.common import columns
from registry.resources.key_residents import KEY_RESIDENTS
from registry.resources.places import BUILDINGS, COMPOUNDS
from registry.resources.stations import STATIONS
from registry.schemas.key_residents import KeyResidentCreate
from registry.schemas.places import BuildingCreate, CompoundCreate
from registry.schemas.stations import StationCreate

KindName = Literal["compounds", "buildings", "stations", "key_residents"]
# (column, message, error type)
Problem = tuple[str, str, str]


@dataclass
class Document:
    """A row as the create schema's input, and how to point from schema fields back to cells."""

    values: dict[str, Any]
    # List fields built from several cells (devices, compound_ids): the column of each item.
    item_columns: dict[str, list[str]] = field(default_factory=dict)
    # Problems found before the schema ran (a compound name that names nothing).
    problems: list[Problem] = field(default_factory=list)
    # Schema fields whose errors only repeat a problem above.
    suppressed: set[str] = field(default_factory=set)


# Compound ids by name, for rows that name compounds instead of giving ids.
Names = dict[str, list[str]]


@dataclass(frozen=True)
class ImportKind:
    name: KindName
    spec: ResourceSpec
    columns: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]  # each: at least one of these columns
    document: Callable[[dict[str, str], str, Names], Document]
    # Ids the rows reference, per model, loaded in one query each before `prepare`.
    references: Callable[[BaseModel], Iterable[tuple[type[Any], str]]]
    prepare: Callable[[References, BaseModel], dict[str, Any]]
    compound_names: Callable[[dict[str, str]], list[str]] = lambda cells: []
    nested: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {key: column}
    fallback_column: str = "name"  # for errors about the row as a whole

    def column_of(self, loc: tuple[str | int, ...], document: Document) -> str:
        """The CSV column a schema error location points at."""
        if not loc:
            return self.fallback_column
        head = str(loc[0])
        items = document.item_columns.get(head)
        if items:
            if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(items):
                return items[loc[1]]
            return items[0] if len(set(items)) == 1 else head
        if head in self.nested:
            inner = self.nested[head]
            key = str(loc[1]) if len(loc) > 1 else ""
            return inner.get(key, next(iter(inner.values())))
        return head


def _given(cells: dict[str, str], *names: str) -> dict[str, str]:
    return {name: cells[name] for name in names if name in cells}


def _resolve(names: Names, name: str) -> tuple[str | None, str | None]:
    """The one compound of this name, or why there is none."""
    ids = names.get(name, [])
    if len(ids) == 1:
        return ids[0], None
    if not ids:
        return None, "no live compound of this name in the community"
    return None, f"{len(ids)} compounds of the community have this name; give compound_id"


# --- compounds (prepare_compound) -----------------------------------------------------------

_COMPOUND_FLAGS: Final = ("has_property_service", "has_fixed_facilities", "is_old")


def _compound_document(cells: dict[str, str], community_id: str, names: Names) -> Document:
    values: dict[str, Any] = {
        "community_id": community_id,
        **_given(cells, "name", "address", "property_company", "households", "grid_id"),
    }
    values.update({flag: boolean_cell(cells[flag]) for flag in _COMPOUND_FLAGS if flag in cells})
    return Document(values)


def _compound_references(data: BaseModel) -> Iterable[tuple[type[Any], str]]:
    assert isinstance(data, CompoundCreate)
    return [(Grid, data.grid_id)] if data.grid_id else []


def _prepare_compound(refs: References, data: BaseModel) -> dict[str, Any]:
    assert isinstance(data, CompoundCreate)
    # The community is visible: checked once for the file, before any row.
    if data.grid_id:
        refs.in_community(Grid, data.grid_id, "grid_id")
    return columns(data)


# --- buildings (prepare_building) -----------------------------------------------------------


def _building_document(cells: dict[str, str], community_id: str, names: Names) -> Document:
    document = Document(
        dict(_given(cells, "compound_id", "name", "floors", "height_m", "households"))
    )
    if "compound_name" in cells:
        document.suppressed.add("compound_id")
        if "compound_id" in cells:
            document.problems.append(
                ("compound_name", "give compound_id or compound_name, not both", "value_error")
            )
        else:
            compound_id, problem = _resolve(names, cells["compound_name"])
            if compound_id:
                document.values["compound_id"] = compound_id
            else:
                document.problems.append(("compound_name", str(problem), "reference"))
    return document


def _building_names(cells: dict[str, str]) -> list[str]:
    return [cells["compound_name"]] if "compound_name" in cells else []


def _building_references(data: BaseModel) -> Iterable[tuple[type[Any], str]]:
    assert isinstance(data, BuildingCreate)
    return [(Compound, data.compound_id)]


def _prepare_building(refs: References, data: BaseModel) -> dict[str, Any]:
    assert isinstance(data, BuildingCreate)
    compound = refs.in_community(Compound, data.compound_id, "compound_id")
    return columns(data, community_id=compound.community_id)


# --- stations (prepare_station) -------------------------------------------------------------


def _station_document(cells: dict[str, str], community_id: str, names: Names) -> Document:
    document = Document({"community_id": community_id, **_given(cells, "name", "phone")})
    ids = list_cell(cells.get("compound_ids", ""))
    origins = ["compound_ids"] * len(ids)
    for number, name in enumerate(list_cell(cells.get("compound_names", "")), start=1):
        compound_id, problem = _resolve(names, name)
        if compound_id:
            ids.append(compound_id)
            origins.append("compound_names")
        else:
            document.problems.append(("compound_names", f"item {number}: {problem}", "reference"))
    if ids:
        document.values["compound_ids"] = ids
        document.item_columns["compound_ids"] = origins
    return document


def _station_names(cells: dict[str, str]) -> list[str]:
    return list_cell(cells.get("compound_names", ""))


def _station_references(data: BaseModel) -> Iterable[tuple[type[Any], str]]:
    assert isinstance(data, StationCreate)
    return [(Compound, compound_id) for compound_id in data.compound_ids]


def _prepare_station(refs: References, data: BaseModel) -> dict[str, Any]:
    assert isinstance(data, StationCreate)
    for index, compound_id in enumerate(data.compound_ids):
        refs.in_community(Compound, compound_id, "compound_ids", index)
    return columns(data)


# --- key residents (prepare_key_resident) ---------------------------------------------------

_DEVICE_COLUMNS: Final = {
    "smoke_alarm": "smoke_alarm_installed_on",
    "extinguisher": "extinguisher_installed_on",
    "simple_sprinkler": "simple_sprinkler_installed_on",
}
_CONTACT_COLUMNS: Final = {
    "name": "contact_name",
    "phone": "contact_phone",
    "relation": "contact_relation",
}


def _key_resident_document(cells: dict[str, str], community_id: str, names: Names) -> Document:
    values: dict[str, Any] = {
        "community_id": community_id,
        **_given(cells, "name", "phone", "id_number", "address", "building_id"),
    }
    if "category" in cells:
        values["category"] = CATEGORY_ALIASES.get(cells["category"], cells["category"])
    contact = {key: cells[column] for key, column in _CONTACT_COLUMNS.items() if column in cells}
    if contact:
        values["contact_person"] = contact
    document = Document(values)
    for kind, column in _DEVICE_COLUMNS.items():
        if column in cells:
            values.setdefault("devices", []).append(
                {"kind": kind, "installed_on": date_cell(cells[column])}
            )
            document.item_columns.setdefault("devices", []).append(column)
    return document


def _key_resident_references(data: BaseModel) -> Iterable[tuple[type[Any], str]]:
    assert isinstance(data, KeyResidentCreate)
    return [(Building, data.building_id)] if data.building_id else []


def _prepare_key_resident(refs: References, data: BaseModel) -> dict[str, Any]:
    assert isinstance(data, KeyResidentCreate)
    if data.building_id:
        refs.in_community(Building, data.building_id, "building_id")
    return columns(data)


KINDS: Final[dict[str, ImportKind]] = {
    kind.name: kind
    for kind in (
        ImportKind(
            name="compounds",
            spec=COMPOUNDS,
            columns=(
                "name",
                "address",
                "has_property_service",
                "property_company",
                "has_fixed_facilities",
                "is_old",
                "households",
                "grid_id",
            ),
            required=(
                ("name",),
                ("address",),
                ("has_property_service",),
                ("has_fixed_facilities",),
                ("is_old",),
                ("households",),
            ),
            document=_compound_document,
            references=_compound_references,
            prepare=_prepare_compound,
            fallback_column="property_company",  # the schema's one cross-field rule
        ),
        ImportKind(
            name="buildings",
            spec=BUILDINGS,
            columns=("compound_id", "compound_name", "name", "floors", "height_m", "households"),
            required=(("compound_id", "compound_name"), ("name",), ("floors",), ("households",)),
            document=_building_document,
            references=_building_references,
            prepare=_prepare_building,
            compound_names=_building_names,
        ),
        ImportKind(
            name="stations",
            spec=STATIONS,
            columns=("name", "phone", "compound_ids", "compound_names"),
            required=(("name",),),
            document=_station_document,
            references=_station_references,
            prepare=_prepare_station,
            compound_names=_station_names,
        ),
        ImportKind(
            name="key_residents",
            spec=KEY_RESIDENTS,
            columns=(
                "category",
                "name",
                "phone",
                "id_number",
                "address",
                "building_id",
                *_CONTACT_COLUMNS.values(),
                *_DEVICE_COLUMNS.values(),
            ),
            required=(("category",), ("name",), ("address",)),
            document=_key_resident_document,
            references=_key_resident_references,
            prepare=_prepare_key_resident,
            nested={"contact_person": dict(_CONTACT_COLUMNS)},
        ),
    )
}
