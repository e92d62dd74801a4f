from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Response

from firesafe_kit.http.etag import IfMatch, check_if_match, etag_for
from firesafe_kit.http.problems import PreconditionFailed, install_problem_handlers


def test_etag_is_strong_quoted_and_version_specific() -> None:
    tag = etag_for("b3c1f0e2-6c1b-4c36-9a57-1f1c0f3a9d10", 3)
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert '"' not in tag[1:-1]
    assert tag == etag_for("b3c1f0e2-6c1b-4c36-9a57-1f1c0f3a9d10", 3)
    assert tag != etag_for("b3c1f0e2-6c1b-4c36-9a57-1f1c0f3a9d10", 4)
    assert tag != etag_for("another-id", 3)


CURRENT = etag_for("r1", 2)
STALE = etag_for("r1", 1)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "*",
        CURRENT,
        f"W/{CURRENT}",
        f"{STALE}, {CURRENT}",
        f'"x,y", W/{CURRENT}',
        CURRENT.strip('"'),  # a client that dropped the quotes
    ],
)
def test_matching_or_absent_if_match_passes(header: str | None) -> None:
    check_if_match(header, CURRENT)


@pytest.mark.parametrize("header", [STALE, f"W/{STALE}", f'{STALE}, "other"', '"x,y"', '""'])
def test_stale_if_match_is_412(header: str) -> None:
    with pytest.raises(PreconditionFailed) as caught:
        check_if_match(header, CURRENT)
    assert caught.value.status == 412
    assert caught.value.code == "etag_mismatch"


async def test_patch_with_if_match() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    state = {"version": 1}

    @app.patch("/things/{thing_id}")
    async def patch(thing_id: str, response: Response, if_match: IfMatch = None) -> dict[str, int]:
        check_if_match(if_match, etag_for(thing_id, state["version"]))
        state["version"] += 1
        response.headers["ETag"] = etag_for(thing_id, state["version"])
        return state

    headers = {"Content-Type": "application/merge-patch+json", "Accept-Language": "en"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        first = await client.patch(
            "/things/t1", content=b"{}", headers={**headers, "If-Match": etag_for("t1", 1)}
        )
        stale = await client.patch(
            "/things/t1", content=b"{}", headers={**headers, "If-Match": etag_for("t1", 1)}
        )
        fresh = await client.patch(
            "/things/t1", content=b"{}", headers={**headers, "If-Match": first.headers["etag"]}
        )
    assert first.status_code == 200
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["code"] == "etag_mismatch"
    assert stale.json()["title"] == "The resource has changed; reload it and retry"
    assert fresh.status_code == 200
    assert state["version"] == 3
