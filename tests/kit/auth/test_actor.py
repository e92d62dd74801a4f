from __future__ import annotations

import pytest

from firesafe_kit.auth.actor import ROLES, Actor, Scope, can_read_pii


def actor(*roles: str, scopes: tuple[str, ...] = ()) -> Actor:
    return Actor(
        sub="u1",
        name="用户一",
        roles=frozenset(roles),
        jurisdiction=tuple(Scope.parse(s) for s in scopes),
    )


def test_roles_are_the_contract_roles() -> None:
    assert {
        "city_admin",
        "district_officer",
        "street_officer",
        "community_staff",
        "station_member",
        "fire_inspector",
        "property_manager",
        "viewer",
    } == ROLES


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("city", Scope("city")),
        ("district:d1", Scope("district", "d1")),
        (
            "street:0b9f6a4e-2f7c-4d35-9a53-5d2d1c8a7e10",
            Scope("street", "0b9f6a4e-2f7c-4d35-9a53-5d2d1c8a7e10"),
        ),
        ("community:c_1.x", Scope("community", "c_1.x")),
        ("station:st1", Scope("station", "st1")),
    ],
)
def test_scope_parse_and_str(text: str, scope: Scope) -> None:
    assert Scope.parse(text) == scope
    assert str(scope) == text


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "City",
        "city:x",
        "district",
        "district:",
        "planet:p1",
        "street:a b",
        "grid:g1",
        ":x",
        "community:" + "x" * 65,
    ],
)
def test_scope_parse_refuses_garbage(garbage: str) -> None:
    with pytest.raises(ValueError):
        Scope.parse(garbage)


def test_actor_roles_and_city() -> None:
    staff = actor("community_staff", "viewer", scopes=("community:c1",))
    assert staff.has_role("viewer")
    assert not staff.has_role("city_admin")
    assert staff.has_any_role("city_admin", "community_staff")
    assert not staff.has_any_role("city_admin", "fire_inspector")
    assert not staff.is_city
    assert staff.scope_ids("community") == {"c1"}
    assert actor("viewer", scopes=("city",)).is_city


def test_pii_permission() -> None:
    ancestors_c1 = [Scope("community", "c1"), Scope("street", "s1"), Scope("district", "d1")]
    assert can_read_pii(actor("city_admin"), "c1", ancestors_c1)
    assert can_read_pii(actor("city_admin"), None)
    assert can_read_pii(actor("community_staff", scopes=("community:c1",)), "c1")
    assert not can_read_pii(actor("community_staff", scopes=("community:c2",)), "c1", ancestors_c1)
    assert not can_read_pii(actor("community_staff", scopes=("community:c1",)), None)
    assert can_read_pii(actor("community_staff", scopes=("street:s1",)), "c1", ancestors_c1)
    # Jurisdiction without the role is not enough, nor is any other role.
    for role in ROLES - {"city_admin", "community_staff"}:
        assert not can_read_pii(actor(role, scopes=("city",)), "c1", ancestors_c1)
