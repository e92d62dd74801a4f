"""Problems the door answers with, besides the kit's token ones (401 token_*)."""

from __future__ import annotations

from firesafe_kit.http.problems import ServiceUnavailable, TooManyRequests, Unauthorized


class CredentialsConflict(Unauthorized):
    code = "credentials_conflict"
    title_zh = "请只提供一种凭据（访问令牌或 API 密钥）"
    title_en = "Send either a bearer token or an API key, not both"


class RateLimited(TooManyRequests):
    code = "rate_limited"
    title_zh = "请求过于频繁，请稍后再试"
    title_en = "Rate limit exceeded; slow down"


class DoorNotReady(ServiceUnavailable):
    code = "gateway_starting"
    title_zh = "网关正在启动"
    title_en = "The gateway is starting"
