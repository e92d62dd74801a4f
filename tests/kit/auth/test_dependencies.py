from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.dependencies import CurrentActor, require_roles
from firesafe_kit.auth.devtoken import main as devtoken
from firesafe_kit.auth.jwt import TokenVerifier, mint_token
from firesafe_kit.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from firesafe_kit.settings import KitSettings

SECRET = "dependency-test-secret-0123456789abcdef0123456789"
SETTINGS = KitSettings(env="dev", jwt_secret=SECRET, jwks_url="")


def token(*roles: str, scopes: tuple[str, ...] = ("city",), ttl: int = 600) -> str:
    return mint_token(
        SETTINGS, sub="u-1", name="张三", roles=roles, jurisdiction=scopes, ttl_seconds=ttl
    )


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = TokenVerifier(SETTINGS)

    @app.get("/me")
    async def me(actor: CurrentActor) -> dict[str, object]:
        return {"sub": actor.sub, "roles": sorted(actor.roles), "city": actor.is_city}

    @app.post("/admin-only", dependencies=[Depends(require_roles("city_admin"))])
    async def admin_only() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/inspectors")
    async def inspectors(
        actor: Annotated[Actor, Depends(require_roles("fire_inspector", "city_admin"))],
    ) -> dict[str, str]:
        return {"sub": actor.sub}

    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "token_missing"),
        ("Basic dXNlcjpwYXNz", "token_missing"),
        ("Bearer ", "token_missing"),
        ("Bearer not-a-jwt", "token_invalid"),
        (f"Bearer {token('viewer', ttl=-600)}", "token_expired"),
    ],
)
async def test_no_or_bad_token_is_401(authorization: str | None, code: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with client_for(build_app()) as client:
        response = await client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == code


async def test_roles_are_enforced() -> None:
    viewer = {"Authorization": f"Bearer {token('viewer')}"}
    admin = {"Authorization": f"bearer {token('city_admin')}"}  # the scheme is case-insensitive
    async with client_for(build_app()) as client:
        me = await client.get("/me", headers=viewer)
        denied = await client.post("/admin-only", headers={**viewer, "Accept-Language": "en"})
        allowed = await client.post("/admin-only", headers=admin)
        either = await client.get("/inspectors", headers=admin)
        anonymous = await client.post("/admin-only")
    assert me.json() == {"sub": "u-1", "roles": ["viewer"], "city": True}
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden_role"
    assert denied.json()["title"] == "Your role does not allow this action"
    assert allowed.status_code == 200
    assert either.json() == {"sub": "u-1"}
    assert anonymous.status_code == 401


def test_require_roles_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError):
        require_roles("city_admin", "superuser")
    with pytest.raises(ValueError):
        require_roles()


# ----------------------------------------------------------------------------- devtoken


@pytest.fixture
def dev_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESAFE_ENV", "dev")
    monkeypatch.setenv("FIRESAFE_JWT_SECRET", SECRET)
    monkeypatch.delenv("FIRESAFE_JWKS_URL", raising=False)


async def test_devtoken_mints_a_token_for_the_running_settings(
    dev_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = devtoken(
        [
            "--role",
            "district_officer",
            "--role",
            "viewer",
            "--scope",
            "district:d1",
            "--sub",
            "dev-9",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out.strip()
    actor = await TokenVerifier(KitSettings()).verify(printed)
    assert actor.sub == "dev-9"
    assert actor.roles == {"district_officer", "viewer"}
    assert [str(s) for s in actor.jurisdiction] == ["district:d1"]


def test_devtoken_refuses_prod_and_bad_arguments(
    dev_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        devtoken(["--role", "root", "--scope", "city"])
    with pytest.raises(SystemExit):
        devtoken(["--role", "viewer", "--scope", "planet:x"])
    capsys.readouterr()
    monkeypatch.setenv("FIRESAFE_ENV", "prod")
    assert devtoken(["--role", "city_admin", "--scope", "city"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "prod" in captured.err


def test_devtoken_runs_as_a_module(tmp_path: Path) -> None:
    env = {**os.environ, "FIRESAFE_ENV": "dev", "FIRESAFE_JWT_SECRET": SECRET}
    env.pop("FIRESAFE_JWKS_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "firesafe_kit.auth.devtoken",
            "--role",
            "city_admin",
            "--scope",
            "city",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(".") == 2
