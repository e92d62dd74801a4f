"""The firesafe service kit: infrastructure shared by every service and the gateway.

It holds no domain models and no event payloads; services own those.
"""
