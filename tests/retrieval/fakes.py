"""A scripted LLM: returns the next scripted reply and fails loudly on a call nobody scripted."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ScriptedLLM:
    replies: list[str]
    prompts: list[str] = field(default_factory=list)

    def complete(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.replies:
            raise AssertionError(f"unexpected extra LLM call #{len(self.prompts)}:\n{prompt[-300:]}")
        return self.replies.pop(0)

    def assert_done(self) -> None:
        assert not self.replies, f"scripted LLM replies never used: {self.replies}"
