"""The LLM port: an optional model that phrases an answer from retrieved passages.

Off by default (the extractive answer needs no model). ``llm_from_env`` builds LlamaIndex's
OpenAI-like client when ``TRUFFLES_LLM_BASE_URL`` is set and the ``llm`` extra is installed. Whatever
the model writes goes through the grounding rail before anyone sees it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

from retrieval.errors import MissingExtra

__all__ = ["LLM_BASE_URL_ENV", "AnswerLLM", "OpenAILikeAnswerLLM", "build_prompt", "llm_from_env"]

LLM_BASE_URL_ENV = "TRUFFLES_LLM_BASE_URL"
LLM_MODEL_ENV = "TRUFFLES_LLM_MODEL"
LLM_API_KEY_ENV = "TRUFFLES_LLM_API_KEY"
LLM_TIMEOUT_SECONDS = 20.0
PROMPT = """Ты отвечаешь клиентам бизнеса «{business}» в WhatsApp.
Ответь на вопрос клиента коротко (1–3 предложения), ТОЛЬКО по фрагментам ниже.
Не добавляй цен, чисел, адресов и названий, которых нет во фрагментах.
Если во фрагментах нет ответа, напиши ровно: НЕТ ОТВЕТА

Фрагменты:
{context}

Вопрос клиента: {question}
Ответ:"""


class AnswerLLM(Protocol):
    """Turns a prompt into text. Implementations must not retry silently or cache across tenants."""

    def complete(self, prompt: str) -> str: ...


def build_prompt(business: str, question: str, passages: Sequence[str]) -> str:
    context = "\n\n".join(f"[{i + 1}] {p}" for i, p in enumerate(passages))
    return PROMPT.format(business=business, context=context, question=question)


class OpenAILikeAnswerLLM:
    """LlamaIndex's ``OpenAILike`` client (optional extra ``llm``), deterministic (temperature 0)."""

    def __init__(
        self, *, base_url: str, model: str, api_key: str, timeout: float = LLM_TIMEOUT_SECONDS
    ) -> None:
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as exc:
            raise MissingExtra("the OpenAI-compatible LLM", "llama-index-llms-openai-like", "llm") from exc
        self._llm: Any = OpenAILike(
            model=model,
            api_base=base_url,
            api_key=api_key,
            temperature=0.0,
            timeout=timeout,
            max_retries=1,
            is_chat_model=True,
        )

    def complete(self, prompt: str) -> str:
        return str(self._llm.complete(prompt).text).strip()


def llm_from_env(env: dict[str, str] | None = None) -> AnswerLLM | None:
    """An LLM when ``TRUFFLES_LLM_BASE_URL`` is set (with ``TRUFFLES_LLM_MODEL``), else ``None``."""
    values = dict(os.environ) if env is None else env
    base_url = values.get(LLM_BASE_URL_ENV, "").strip()
    if not base_url:
        return None
    model = values.get(LLM_MODEL_ENV, "").strip()
    if not model:
        raise ValueError(
            f"{LLM_BASE_URL_ENV}={base_url!r} is set but {LLM_MODEL_ENV} is empty: "
            f"set {LLM_MODEL_ENV} to the model name the server serves (or unset {LLM_BASE_URL_ENV})"
        )
    api_key = values.get(LLM_API_KEY_ENV, "") or "none"
    return OpenAILikeAnswerLLM(base_url=base_url, model=model, api_key=api_key)
