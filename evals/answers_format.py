"""Formatting shared by scorers: prices as the engine writes them."""

from __future__ import annotations

__all__ = ["price_text"]


def price_text(amount: int, currency: str) -> str:
    return f"{amount:,}".replace(",", " ") + f" {currency}"
