"""Problems of API key management and of requests made with a key."""

from __future__ import annotations

from firesafe_kit.http.problems import Conflict, Forbidden, NotFound, Unauthorized


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    title_zh = "API 密钥不存在"
    title_en = "No such API key"


class ApiKeyAlreadyRevoked(Conflict):
    code = "api_key_already_revoked"
    title_zh = "API 密钥已被吊销"
    title_en = "The API key is already revoked"


class KeysManagedByPeople(Forbidden):
    # A key that could mint keys would outlive its own revocation.
    code = "api_key_cannot_manage_keys"
    title_zh = "不能使用 API 密钥管理 API 密钥"
    title_en = "API keys cannot be managed with an API key"


class ApiKeyInvalid(Unauthorized):
    code = "api_key_invalid"
    title_zh = "API 密钥无效"
    title_en = "Invalid API key"


class ApiKeyRevoked(Unauthorized):
    code = "api_key_revoked"
    title_zh = "API 密钥已被吊销"
    title_en = "The API key has been revoked"


class ApiKeyExpired(Unauthorized):
    code = "api_key_expired"
    title_zh = "API 密钥已过期"
    title_en = "The API key has expired"
