"""Errors raised by the channel adapters (ChatFlow and Telegram).

One root, :class:`ChannelError`, and a shallow tree. Every error keeps its data on the instance so
callers (the webhook edge, the outbox worker, the hand-over desk) can decide without parsing text:

- :class:`ChannelPayloadError` — an inbound payload is malformed (answer 4xx, log, drop).
  :class:`InboundIgnored` is a well-formed payload we deliberately do not handle (answer 2xx, drop).
- :class:`DeliveryError` — an outbound call failed. ``transient`` says whether retrying can help and
  ``retry_after`` how long the provider asked us to wait.
"""

from __future__ import annotations

__all__ = [
    "ChannelError",
    "ChannelPayloadError",
    "ChatFlowError",
    "DeliveryError",
    "InboundIgnored",
    "ProviderRateLimited",
    "ProviderRejected",
    "ProviderUnavailable",
    "TelegramError",
    "TelegramRateLimited",
    "TelegramRejected",
    "TelegramUnavailable",
    "TopicNotFound",
]

BODY_SNIPPET_CHARS = 300
"""How much of a provider's response body an error keeps (and prints)."""


def snippet(body: str | bytes, limit: int = BODY_SNIPPET_CHARS) -> str:
    """Shorten a response body for an error message, decoding bytes leniently."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ChannelError(Exception):
    """Root of every error raised by ``channels``."""


class ChannelPayloadError(ChannelError):
    """An inbound payload could not be turned into a typed message.

    Attributes:
        field: where in the payload the problem is (e.g. ``body.metadata.messageId``, ``$``).
        expected: what would have been accepted.
        got: a short rendering of what was found (``None`` when the field is missing).
    """

    def __init__(self, field: str, expected: str, got: str | None = None, *, source: str = "payload") -> None:
        self.field = field
        self.expected = expected
        self.got = got
        self.source = source
        found = "it is missing" if got is None else f"got {got}"
        super().__init__(f"{source}: bad field {field!r}: expected {expected}; {found}")


class InboundIgnored(ChannelPayloadError):
    """A valid inbound payload that Truffles does not handle on purpose (group chat, own echo, …).

    The webhook edge should acknowledge it with 2xx (so the provider does not re-deliver) and drop it.
    """

    def __init__(self, field: str, reason: str, got: str | None = None, *, source: str = "payload") -> None:
        self.reason = reason
        super().__init__(field, reason, got, source=source)
        self.args = (f"{source}: ignored ({reason}); field {field!r} = {got}",)


class DeliveryError(ChannelError):
    """An outbound call to a provider failed.

    Attributes:
        status: the HTTP status (or Telegram ``error_code``); ``None`` when no response arrived.
        body: a snippet of the response body ("" when none).
        transient: True when the same call may succeed later (retry with backoff).
        retry_after: seconds the provider asked us to wait, when it said so.
    """

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        super().__init__(message)


class ChatFlowError(DeliveryError):
    """A ChatFlow (WhatsApp gateway) call failed."""


class ProviderRateLimited(ChatFlowError):
    """ChatFlow answered 429. Wait ``retry_after`` seconds (when given), then retry."""

    transient = True


class ProviderUnavailable(ChatFlowError):
    """ChatFlow answered 5xx, timed out or could not be reached. Retry with backoff."""

    transient = True


class ProviderRejected(ChatFlowError):
    """ChatFlow refused the request (4xx other than 429). Retrying the same call will not help."""


class TelegramError(DeliveryError):
    """A Telegram Bot API call failed.

    Attributes:
        method: the Bot API method, e.g. ``sendMessage``.
        description: Telegram's ``description`` ("" when there was no JSON answer).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        description: str = "",
        status: int | None = None,
        body: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.method = method
        self.description = description
        super().__init__(message, status=status, body=body, retry_after=retry_after)


class TelegramRateLimited(TelegramError):
    """Telegram answered ``error_code`` 429; ``retry_after`` comes from ``parameters.retry_after``."""

    transient = True


class TelegramUnavailable(TelegramError):
    """Telegram answered 5xx, timed out or could not be reached. Retry with backoff."""

    transient = True


class TopicNotFound(TelegramError):
    """The forum topic no longer exists (a manager deleted it). Recreate the topic and send again."""


class TelegramRejected(TelegramError):
    """Telegram refused the request (4xx other than 429 and a missing topic). Do not retry as is."""
