"""Errors that cross service boundaries.

They carry only JSON-safe arguments so that nameko can rebuild them on the caller's
side (``minyi_common.nameko.install`` registers them); the gateway maps each to an HTTP status.
"""


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", errors: dict | None = None):
        # {} rather than None in args: nameko sends args as JSON and None comes back "None".
        super().__init__(detail, errors if isinstance(errors, dict) else {})
        self.detail = detail or self.title
        self.errors = errors if isinstance(errors, dict) and errors else None


class ValidationFailed(DomainError):
    status = 422
    title = "Invalid fields"


class Unauthorized(DomainError):
    status = 401
    title = "Not authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


ALL = (DomainError, ValidationFailed, Unauthorized, Forbidden, NotFound, Conflict,
       ServiceUnavailable)
