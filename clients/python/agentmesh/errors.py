"""Typed errors.

Every failure the daemon reports is ``{"error": code, "message": text, "retryable": bool}`` with an HTTP status
(docs/api.md, "Errors"). The client raises it as an :class:`Error` subclass chosen by the status, carrying the code,
the message, the status and whether the same request may succeed later unchanged. Failures to reach the daemon at all
are :class:`DaemonUnavailable` (retryable).
"""

from __future__ import annotations

from typing import Dict, Optional, Type


class Error(Exception):
    """Base class of every error this package raises.

    Attributes:
        code: the stable error code (``"unknown_recipient"``, ``"queue_full"``, ...); branch on this.
        message: the daemon's human-readable explanation.
        status: the HTTP status, or ``None`` when no response came (the daemon was unreachable).
        retryable: whether the same request may succeed later unchanged.
    """

    def __init__(self, code: str, message: str, status: Optional[int] = None, retryable: bool = False) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, retryable={self.retryable!r})"


class BadRequest(Error):
    """400: the request is malformed or a field is invalid; nothing was changed."""


class Unauthorized(Error):
    """401: no token, or an unknown one."""


class Forbidden(Error):
    """403: the token may not do this (``forbidden``), the recipient blocks the sender (``blocked``), or a task
    action by the wrong party (``not_participant``)."""


class NotFound(Error):
    """404: no such agent, recipient, task, conversation, dead letter, message or route."""


class Conflict(Error):
    """409: the request conflicts with the current state (``name_taken``, ``idempotency_conflict``,
    ``invalid_transition``, ``task_reassigned``, ...)."""


class TooLarge(Error):
    """413: a body, payload, message or artifact over its limit."""


class RateLimited(Error):
    """429: too many streams or requests; retryable."""


class ServerError(Error):
    """5xx other than 503: the daemon failed (the store, a dial)."""


class Unavailable(Error):
    """503: the daemon is overloaded or stopping (``queue_full``, ``outbox_full``, ``shutting_down``, ...)."""


class DaemonUnavailable(Error):
    """The daemon could not be reached: nothing listens at its address, or the connection broke before an answer.

    ``code`` is ``"daemon_unavailable"``; ``retryable`` is true.
    """

    def __init__(self, message: str) -> None:
        super().__init__("daemon_unavailable", message, None, True)


class Timeout(Error):
    """A wait given a timeout by the caller ended without the awaited event (``code`` ``"timeout"``)."""

    def __init__(self, message: str) -> None:
        super().__init__("timeout", message, None, True)


_BY_STATUS: Dict[int, Type[Error]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: BadRequest,
    409: Conflict,
    413: TooLarge,
    415: BadRequest,
    429: RateLimited,
    431: TooLarge,
    503: Unavailable,
}


def error_for(status: int, code: str, message: str, retryable: bool) -> Error:
    """The exception for an error response with this HTTP status and body."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else Error
    return cls(code, message, status, retryable)
