"""The front door: who is calling (a JWT or an API key), how often (rate limits), and the
identity the services receive (the caller's token, or an internal token for a key)."""
