"""What one turn says: the merged text of a burst, and the media it carried (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from config.compile.compiled import CompiledPack
from storage import MessageRecord

__all__ = [
    "DEFAULT_TOO_LARGE_REPLY",
    "DEFAULT_VIDEO_REPLY",
    "REFUSED_TOO_LARGE",
    "REFUSED_VIDEO",
    "TurnInput",
    "build_turn_input",
    "media_reply",
]

REFUSED_VIDEO = "video"
REFUSED_TOO_LARGE = "too_large"
DEFAULT_VIDEO_REPLY = (
    "К сожалению, видео мы не принимаем. Пришлите, пожалуйста, фото или опишите вопрос текстом."
)
"""Used unless the pack defines ``extra.video_reply`` in templates.yaml."""
DEFAULT_TOO_LARGE_REPLY = (
    "Файл слишком большой, мы не сможем его открыть. "
    "Пришлите, пожалуйста, поменьше или опишите вопрос текстом."
)
"""Used unless the pack defines ``extra.media_too_large_reply`` in templates.yaml."""


@dataclass(frozen=True, slots=True)
class TurnInput:
    """The customer's burst as one turn.

    Attributes:
        text: the texts and captions of the burst, one per line, in arrival order.
        media: kinds of the accepted attachments (``image``, ``audio``, ``document``).
        refused: why attachments were refused (``video``, ``too_large``).
    """

    text: str
    media: tuple[str, ...]
    refused: tuple[str, ...]


def build_turn_input(messages: Sequence[MessageRecord]) -> TurnInput:
    texts: list[str] = []
    media: list[str] = []
    refused: list[str] = []
    for message in messages:
        if message.text and message.text.strip():
            texts.append(message.text.strip())
        if message.media:
            reason = message.media.get("refused")
            if isinstance(reason, str) and reason:
                refused.append(reason)
            else:
                media.append(str(message.media.get("type", "document")))
    return TurnInput(text="\n".join(texts), media=tuple(media), refused=tuple(refused))


def media_reply(pack: CompiledPack, turn: TurnInput) -> tuple[str, str] | None:
    """``(intent, reply)`` for a turn made only of attachments; None when the turn has text to decide."""
    if turn.text:
        return None
    if REFUSED_VIDEO in turn.refused:
        return "media_video_refused", pack.templates.get("video_reply", DEFAULT_VIDEO_REPLY)
    if REFUSED_TOO_LARGE in turn.refused:
        return "media_too_large", pack.templates.get("media_too_large_reply", DEFAULT_TOO_LARGE_REPLY)
    if turn.media:
        return "media", pack.templates["media_reply"]
    return None
