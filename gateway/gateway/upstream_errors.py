"""What the client is told when an upstream is down, slow or broken: 502/503/504
problem+json with `Retry-After`, never a 500 and never a hang.

The classes take the kit's usual arguments (`detail=`, `headers=`) so that any gateway module
can raise them; `upstream_problem` builds the one the proxy answers with.
"""

from __future__ import annotations

from math import ceil

from firesafe_kit.http.problems import ProblemError, Text

# How long a client should wait before trying again after an upstream failure.
RETRY_AFTER_SECONDS = 5


class UpstreamUnavailable(ProblemError):
    status = 503
    code = "upstream_unavailable"
    title_zh = "上游服务暂不可用"
    title_en = "Upstream service unavailable"


class UpstreamCircuitOpen(UpstreamUnavailable):
    code = "upstream_circuit_open"
    title_zh = "上游服务连续失败，暂停转发"
    title_en = "Upstream service keeps failing; requests to it are paused"


class UpstreamTimeout(ProblemError):
    status = 504
    code = "upstream_timeout"
    title_zh = "上游服务响应超时"
    title_en = "Upstream service timed out"


class UpstreamBadResponse(ProblemError):
    status = 502
    code = "upstream_bad_response"
    title_zh = "上游服务响应异常"
    title_en = "Bad response from upstream service"


def upstream_problem(
    problem: type[ProblemError], service: str, *, retry_after: float = RETRY_AFTER_SECONDS
) -> ProblemError:
    return problem(
        Text(f"服务 {service} 暂时无法处理请求", f"The {service} service cannot answer now"),
        headers={"Retry-After": str(max(1, ceil(retry_after)))},
    )
