"""Render an emulated manager group as plain text: what a manager sees in Telegram.

Chat -1001 «Мира — менеджеры» (forum)

── Topic 2 «Айгерим · 7701*****67» ──
[12:00] Truffles bot: 🔔 Hand-over: payment question …
        [Take] [Return to bot] [Resolve]        (pinned)
[12:01] Dana: Здравствуйте! Сейчас уточню.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from channels.telegram.emulator_state import CallbackRecord, ChatState, StoredMessage, Topic

__all__ = ["render_transcript"]


def render_transcript(chat: ChatState, callbacks: Iterable[CallbackRecord] = ()) -> str:
    """The chat's General topic and every forum topic with their messages, in order.

    Button presses (``callbacks``) are shown under the message they were pressed on, with the
    bot's answer; Telegram shows those only to the presser, the transcript shows them to everyone.
    """
    presses: dict[int, list[CallbackRecord]] = {}
    for record in callbacks:
        if record.chat_id == chat.id:
            presses.setdefault(record.message_id, []).append(record)
    lines = [f"Chat {chat.id} «{chat.title}»" + (" (forum)" if chat.is_forum else "")]
    general = [m for m in chat.messages.values() if m.thread_id is None]
    if general:
        lines += ["", "── General ──"]
        lines += [line for message in general for line in _message_lines(chat, message, presses)]
    for topic in chat.topics.values():
        lines += ["", _topic_header(chat, topic)]
        if topic.deleted:
            continue
        messages = [m for m in chat.messages.values() if m.thread_id == topic.thread_id and m.service is None]
        lines += [line for message in messages for line in _message_lines(chat, message, presses)]
        if not messages:
            lines.append("(no messages)")
    return "\n".join(lines) + "\n"


def _topic_header(chat: ChatState, topic: Topic) -> str:
    state = " — deleted by a manager" if topic.deleted else (" — closed" if topic.closed else "")
    return f"── Topic {topic.thread_id} «{topic.name}»{state} ──"


def _message_lines(
    chat: ChatState, message: StoredMessage, presses: dict[int, list[CallbackRecord]]
) -> list[str]:
    when = datetime.fromtimestamp(message.date, tz=UTC).strftime("%H:%M")
    who = message.sender.full_name + (" (bot)" if message.sender.is_bot else "")
    body = message.text if message.text is not None else (message.caption or "")
    if message.media_kind:
        body = f"[{message.media_kind}: {message.media_ref}]" + (f" {body}" if body else "")
    head, *rest = (body or "").split("\n")
    pin = "  (pinned)" if message.message_id in chat.pinned else ""
    lines = [f"[{when}] #{message.message_id} {who}: {head}{pin}"]
    lines += [f"        {line}" for line in rest]
    if message.reply_markup is not None:
        for row in message.reply_markup.inline_keyboard:
            lines.append("        " + " ".join(f"[{button.text}]" for button in row))
    for press in presses.get(message.message_id, []):
        label = _label(message, press.data)
        answer = (
            f" → «{press.answer_text}»"
            if press.answer_text
            else ("" if press.answered else " (not answered)")
        )
        lines.append(f"        ↳ {press.from_name} pressed [{label}]{answer}")
    return lines


def _label(message: StoredMessage, data: str) -> str:
    buttons = message.reply_markup.buttons() if message.reply_markup else []
    return next((button.text for button in buttons if button.callback_data == data), data)
