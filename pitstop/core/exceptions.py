"""One error for broken business rules.

Raised by services; pages show it next to the form (on the named field when there is one),
the API answers 400 with the field named. Never a 500 for bad input.
"""

from django.utils.functional import Promise


class ApplicationError(Exception):
    def __init__(
        self,
        message: str | Promise,
        *,
        field: str | None = None,
        code: str = "invalid",
        extra: dict | None = None,
    ):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict:
        key = self.field or "non_field_errors"
        return {key: [str(self.message)]}
