"""Registry data for tests, made through the HTTP API (the registry's or the gateway's)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

_codes = itertools.count(1)


def next_district_code() -> str:
    """Distinct valid county-level codes (never ending in 00) for the whole test run."""
    while True:
        n = next(_codes)
        if n % 100:
            return f"11{n:04d}"


def community_body(street_id: str, code: str, **overrides: Any) -> dict[str, Any]:
    return {
        "street_id": street_id,
        "code": code,
        "name": "幸福里社区",
        "responsible_person": {"name": "王小明", "phone": "13612345678"},
        "safety_managers": [{"name": "李四", "phone": "13712345678", "employment": "full_time"}],
        **overrides,
    }


async def created(request: Any) -> dict[str, Any]:
    response = await request
    assert response.status_code == 201, response.text
    return dict(response.json())


@dataclass
class Tree:
    district: dict[str, Any]
    street: dict[str, Any]
    community: dict[str, Any]

    @property
    def community_id(self) -> str:
        return str(self.community["id"])


async def make_tree(admin: httpx.AsyncClient, *, district_code: str | None = None) -> Tree:
    """A fresh district → street → community."""
    code = district_code or next_district_code()
    district = await created(
        admin.post("/api/v1/districts", json={"code": code, "name": f"测试区{code}"})
    )
    street = await created(
        admin.post(
            "/api/v1/streets",
            json={"district_id": district["id"], "code": f"{code}001", "name": "测试街道"},
        )
    )
    community = await created(
        admin.post("/api/v1/communities", json=community_body(street["id"], f"{code}001001"))
    )
    return Tree(district, street, community)
