"""API keys for third parties (`/api/v1/api-keys`): issued by a city_admin, shown once, stored
as a hash, each with roles, a jurisdiction and a rate limit; revocable."""
