"""The decision engine: ``decide(pack, state, message, now) -> Decision``. Pure; no I/O."""

from engine.pipeline import decide
from engine.state import BookingDraft, ConversationState
from engine.types import Decision, Effect, TraceEntry

__all__ = ["BookingDraft", "ConversationState", "Decision", "Effect", "TraceEntry", "decide"]
