"""What the worker's tables should hold after a run, and what its HTTP endpoints say they hold.

A demo run works on skus and users of its own (their ids carry the run's
namespace), so their state is known exactly: every sku got ``stock`` units,
every user ``deposit``, and only the run's CONFIRMED orders took from them.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import aiohttp

from pipeline.models import OrderPlaced


@dataclass(frozen=True)
class Expected:
    """sku -> {available, reserved, sold} and userId -> balance, once every saga step is applied."""

    inventory: dict[str, dict[str, int]]
    balances: dict[str, Decimal]


def expected_state(skus: list[str], users: list[str], stock: int, deposit: Decimal,
                   confirmed: list[OrderPlaced]) -> Expected:
    sold: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    for order in confirmed:
        for item in order.items:
            sold[item.sku] += item.quantity
        spent[order.userId] += order.total
    return Expected(
        {sku: {"available": stock - sold[sku], "reserved": 0, "sold": sold[sku]} for sku in skus},
        {user: deposit - spent[user] for user in users},
    )


class WorkerApi:
    """The contract's read endpoints of one worker (``GET /inventory/{sku}``, ``/balances/{userId}``)."""

    def __init__(self, url: str, concurrency: int = 16) -> None:
        self.url = url
        self.limit = asyncio.Semaphore(concurrency)
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "WorkerApi":
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.session.close()

    async def get(self, path: str) -> dict | str | None:
        """The JSON answer; None for 404 (not there yet); else what went wrong ("HTTP 500", ...)."""
        async with self.limit:
            try:
                async with self.session.get(f"{self.url}{path}") as answer:
                    if answer.status == 200:
                        return await answer.json()
                    return None if answer.status == 404 else f"HTTP {answer.status}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                return f"no answer ({type(exc).__name__})"

    async def inventory(self, skus: list[str]) -> dict[str, dict | str | None]:
        answers = await asyncio.gather(*(self.get(f"/inventory/{sku}") for sku in skus))
        return {sku: {k: a[k] for k in ("available", "reserved", "sold")} if isinstance(a, dict) else a
                for sku, a in zip(skus, answers)}

    async def balances(self, users: list[str]) -> dict[str, Decimal | str | None]:
        answers = await asyncio.gather(*(self.get(f"/balances/{user}") for user in users))
        return {user: Decimal(a["balance"]) if isinstance(a, dict) else a for user, a in zip(users, answers)}

    async def differences(self, expected: Expected) -> dict[str, tuple[object, object]]:
        """key -> (expected, actual) for every sku and user whose state is not (yet) the expected one."""
        inventory = await self.inventory(list(expected.inventory))
        balances = await self.balances(list(expected.balances))
        found = {**inventory, **balances}
        wanted = {**expected.inventory, **expected.balances}
        return {key: (wanted[key], found[key]) for key in wanted if found[key] != wanted[key]}
