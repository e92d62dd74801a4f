"""The rules over the registry's facts: DOMAIN.md rules 1, 2, 3 and 6."""

from __future__ import annotations

from alerts.rules.base import FactView, Finding


def _label(fact_data: dict[str, object], fallback: str) -> str:
    name = fact_data.get("name")
    return str(name) if name else fallback


def responsibility_gap(view: FactView) -> list[Finding]:
    """Rule 1: a responsible person, and 1 to 2 fire-safety managers."""
    findings = []
    for community in view["community"]:
        data = community.data
        missing = []
        if not data.get("has_responsible_person"):
            missing.append("未明确消防安全责任人")
        managers = int(data.get("safety_manager_count") or 0)
        if not 1 <= managers <= 2:
            missing.append(f"消防管理人员{managers}名（应为1至2名）")
        if missing:
            findings.append(
                Finding(
                    "community",
                    community.id,
                    f"{_label(data, '社区')}：消防安全责任制未落实",
                    "；".join(missing),
                )
            )
    return findings


def missing_fire_pact(view: FactView) -> list[Finding]:
    """Rule 2: a residents' fire-prevention pact."""
    return [
        Finding(
            "community",
            community.id,
            f"{_label(community.data, '社区')}：未制定居民防火公约",
        )
        for community in view["community"]
        if not community.data.get("has_fire_pact")
    ]


def station_coverage_gap(view: FactView) -> list[Finding]:
    """Rule 3: every compound with property service is covered by a micro fire station."""
    covered = {
        compound_id
        for station in view["station"]
        for compound_id in station.data.get("compound_ids") or []
    }
    return [
        Finding(
            "compound",
            compound.id,
            f"{_label(compound.data, '小区')}：有物业服务但未建微型消防站",
            "小区未被任何微型消防站覆盖",
        )
        for compound in view["compound"]
        if compound.data.get("has_property_service") and compound.id not in covered
    ]


CATEGORY_LABELS = {
    "elderly_alone": "孤寡老人",
    "left_behind_child": "留守儿童",
    "disabled": "残障人士",
}


def key_resident_unprotected(view: FactView) -> list[Finding]:
    """Rule 6: the home of a key resident has a stand-alone smoke alarm."""
    return [
        Finding(
            "key_resident",
            resident.id,
            f"重点人群（{CATEGORY_LABELS.get(str(resident.data.get('category')), '重点人群')}）"
            "家中未安装独立式感烟火灾探测报警器",
        )
        for resident in view["key_resident"]
        if not resident.data.get("has_smoke_alarm")
    ]
