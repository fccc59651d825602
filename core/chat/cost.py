"""A running cost estimate from token usage and the price table in the config.

Prices are USD per million tokens with keys input, output, cache_write, cache_read
(`core.config.DEFAULT_PRICES`). A model missing from the table has no estimate.
"""

from __future__ import annotations

from core.chat.models import Usage

PER_MILLION = 1_000_000


def price_for(model: str, prices: dict[str, dict[str, float]]) -> dict[str, float] | None:
    """The model's prices; a dated or suffixed name (claude-x-5-5-2026...) matches its base."""
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name)]
    return prices[max(matches, key=len)] if matches else None


def estimate_cost(usage: Usage, model: str, prices: dict[str, dict[str, float]]) -> float | None:
    """USD for one answer's usage, or None when the model has no price."""
    table = price_for(model, prices)
    if table is None:
        return None
    input_price = table.get("input", 0.0)
    return (
        usage.input_tokens * input_price
        + usage.output_tokens * table.get("output", 0.0)
        + usage.cache_write_tokens * table.get("cache_write", input_price * 1.25)
        + usage.cache_read_tokens * table.get("cache_read", input_price * 0.1)
    ) / PER_MILLION


def format_cost(usd: float | None) -> str:
    """`$0.0123`-style text; small amounts keep significant digits; `?` when unknown."""
    if usd is None:
        return "$?"
    if usd == 0:
        return "$0.00"
    if usd < 0.01:
        return f"${usd:.4f}"
    return f"${usd:.2f}"
