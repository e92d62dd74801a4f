"""HTTP conventions of the public contract: problem+json, paging, ETags, idempotency, middleware.

Recommended middleware order (outermost first), so that every response, including the ones the
inner middlewares refuse with, carries the request id and is counted:

    RequestContextMiddleware → BodyLimitMiddleware → JsonContentTypeMiddleware
    → IdempotencyMiddleware → the app

With Starlette's `add_middleware` the last one added is the outermost, so add them in reverse.
"""
