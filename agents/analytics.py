"""Analytics over the orders the saga decided, answered for the whole cluster.

Each worker keeps partial aggregates of its own partitions: ``order_stats``
holds, per partition of ``orderflow-orders`` and per one-minute window of
decision time, the orders confirmed, their revenue and the rejections by
reason. :func:`record_outcome` updates it from ``decide()``, inside the
order's event, so the write lands on the event's partition (keys start with
it) and commits with the outcome. Windows live in a ring of ``SLOTS`` keys
per partition, so the table never grows past a day of windows. Units sold per
sku need no table of their own: inventory already counts them.

A ``GET /analytics/...`` request asks every worker holding active partitions
(Faust's router knows them) for its partials at ``/analytics/partials/...``,
and sums them: whichever worker receives it answers for all partitions, and
names the partitions no worker answered for.
"""
from __future__ import annotations

import asyncio
import heapq
import logging
import re
import struct
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, NamedTuple

import aiohttp
from faust.serializers import codecs
from faust.streams import current_event
from faust.web import Request, Response, View
from yarl import URL

from agents.events import now
from agents.inventory import inventory
from pipeline.app import app

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)
#: Windows kept per partition (one day).
SLOTS = 24 * 60
REASONS = ("OUT_OF_STOCK", "INSUFFICIENT_FUNDS", "INVALID_ORDER")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PARTIALS_TIMEOUT = aiohttp.ClientTimeout(total=10)


class MinuteStats(NamedTuple):
    """The orders of one partition decided in one minute (minutes since the epoch)."""

    minute: int
    confirmed: int = 0
    revenue_cents: int = 0
    out_of_stock: int = 0
    insufficient_funds: int = 0
    invalid_order: int = 0

    @property
    def rejected(self) -> int:
        return self.out_of_stock + self.insufficient_funds + self.invalid_order


REASON_FIELDS = dict(zip(REASONS, ("out_of_stock", "insufficient_funds", "invalid_order")))


class MinuteStatsCodec(codecs.Codec):
    _struct = struct.Struct(f"<{len(MinuteStats._fields)}q")

    def _dumps(self, value: MinuteStats) -> bytes:
        return self._struct.pack(*value)

    def _loads(self, data: bytes) -> MinuteStats:
        return MinuteStats(*self._struct.unpack(data))


codecs.register("minute-stats", MinuteStatsCodec())

#: "<partition>:<minute % SLOTS>" -> MinuteStats
order_stats = app.Table(
    "order-stats", key_type=str, value_type=None,
    key_serializer="raw", value_serializer="minute-stats", default=None,
)


def epoch_minute(moment: datetime) -> int:
    """The window of ``moment``, from its milliseconds like the Avro timestamp-millis of the outcome."""
    return (moment - EPOCH) // timedelta(milliseconds=1) // 60_000


def record_outcome(status: str, reason: str | None, total: str, decided: datetime) -> None:
    """Count an order decided at ``decided`` in its partition's window (call inside its event)."""
    partition = current_event().message.partition
    minute = epoch_minute(decided)
    key = f"{partition}:{minute % SLOTS}"
    stats = order_stats.get(key)
    if stats is None or stats.minute != minute:
        stats = MinuteStats(minute)
    if status == "CONFIRMED":
        cents = int(Decimal(total).scaleb(2))
        stats = stats._replace(confirmed=stats.confirmed + 1, revenue_cents=stats.revenue_cents + cents)
    else:
        field = REASON_FIELDS[reason]
        stats = stats._replace(**{field: getattr(stats, field) + 1})
    order_stats[key] = stats


# -- partials: what one worker holds ------------------------------------------------------

def active_partitions(table) -> list[int]:
    topic = table.changelog_topic.get_topic_name()
    return sorted(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic)


def local_order_stats(since: int) -> dict:
    """This worker's windows from minute ``since`` on, by partition."""
    by_partition: dict[str, list[list[int]]] = {}
    for key, stats in order_stats.items():
        if stats.minute >= since:
            by_partition.setdefault(key.partition(":")[0], []).append(list(stats))
    return {"partitions": active_partitions(order_stats), "stats": by_partition}


def local_top_skus(limit: int) -> dict:
    """This worker's ``limit`` skus with the most units sold."""
    top = heapq.nlargest(limit, ((stock.sold, sku) for sku, stock in inventory.items() if stock.sold))
    return {"partitions": active_partitions(inventory), "skus": [[sku, sold] for sold, sku in top]}


#: partial name -> (its table, the local function, the query parameter it takes)
PARTIALS: dict[str, tuple[Any, Callable[[int], dict], str]] = {
    "order-stats": (order_stats, local_order_stats, "since"),
    "top-skus": (inventory, local_top_skus, "limit"),
}


@app.page("/analytics/partials/{name}")
class Partials(View):
    """One worker's partials; what the public views below gather."""

    async def get(self, request: Request, name: str) -> Response:
        if name not in PARTIALS:
            return self.json({"error": f"unknown partial {name}"}, status=404)
        _, local, param = PARTIALS[name]
        try:
            argument = int(request.query[param])
        except (KeyError, ValueError):
            return self.json({"error": f"{param} must be an integer"}, status=400)
        return self.json(local(argument))


def _same_worker(url: str) -> bool:
    mine, other = URL(str(app.conf.canonical_url)), URL(url)
    return (mine.host, mine.port) == (other.host, other.port)


async def _remote(url: str, name: str, param: str, argument: int) -> dict:
    target = URL(url).with_path(f"/analytics/partials/{name}").with_query({param: str(argument)})
    try:
        async with app.http_client.get(target, timeout=PARTIALS_TIMEOUT) as response:
            response.raise_for_status()
            return await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        log.warning("no %s partials from worker %s: %r", name, url, exc)
        return {"partitions": []}


async def gather(name: str, argument: int) -> tuple[list[dict], list[int]]:
    """The partials of every worker with active partitions, and the partitions left unanswered."""
    table, local, param = PARTIALS[name]
    hosts = app.router.table_metadata(table.name)

    async def partials_of(url: str) -> dict:
        return local(argument) if _same_worker(url) else await _remote(url, name, param, argument)

    answers = await asyncio.gather(*(partials_of(url) for url in hosts))
    covered = {p for answer in answers for p in answer["partitions"]}
    total = table.changelog_topic.partitions or app.conf.topic_partitions
    return answers, sorted(set(range(total)) - covered)


# -- public views ---------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class BadQuery(ValueError):
    """A query parameter out of its domain."""


def parse_last(text: str) -> int:
    """``10m`` -> 10 windows: the windows that end within the last ``text``, the current one included."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise BadQuery(f"last must look like 30s, 10m, 2h or 1d, not {text!r}")
    seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
    windows = max(1, -(-seconds // 60))
    if windows > SLOTS:
        raise BadQuery(f"last can be at most {SLOTS // 60}h (windows are kept for a day)")
    return windows


def parse_limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise BadQuery(f"limit must be an integer from 1 to 1000, not {text!r}")
    return int(text)


def merged_minutes(answers: list[dict]) -> dict[int, MinuteStats]:
    """Per-minute sums of the partitions' windows (a partition answered twice counts once)."""
    seen: set[str] = set()
    minutes: dict[int, list[int]] = {}
    for answer in answers:
        for partition, rows in answer.get("stats", {}).items():
            if partition in seen:
                continue
            seen.add(partition)
            for row in rows:
                sums = minutes.setdefault(row[0], [row[0]] + [0] * (len(row) - 1))
                for i in range(1, len(row)):
                    sums[i] += row[i]
    return {minute: MinuteStats(*row) for minute, row in minutes.items()}


def _money(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2).quantize(Decimal("0.01")))


def _iso(minute: int) -> str:
    return (EPOCH + minute * WINDOW).isoformat().replace("+00:00", "Z")


async def _order_stats(request: Request, default_last: str) -> tuple[range, dict[int, MinuteStats], list[int]]:
    current = epoch_minute(now())
    windows = range(current - parse_last(request.query.get("last", default_last)) + 1, current + 1)
    answers, missing = await gather("order-stats", windows.start)
    return windows, merged_minutes(answers), missing


def _answer(view: View, body: dict, missing: list[int]) -> Response:
    return view.json({**body, "complete": not missing, "missingPartitions": missing})


@app.page("/analytics/revenue")
class Revenue(View):
    """Revenue and orders per one-minute window of decision time: ``?last=10m``."""

    async def get(self, request: Request) -> Response:
        try:
            windows, minutes, missing = await _order_stats(request, "10m")
        except BadQuery as exc:
            return self.json({"error": str(exc)}, status=400)
        rows = []
        for minute in windows:
            stats = minutes.get(minute, MinuteStats(minute))
            rows.append({
                "start": _iso(minute), "orders": stats.confirmed + stats.rejected,
                "confirmed": stats.confirmed, "rejected": stats.rejected,
                "revenue": _money(stats.revenue_cents),
            })
        total = {
            "orders": sum(row["orders"] for row in rows),
            "confirmed": sum(row["confirmed"] for row in rows),
            "revenue": _money(sum(minutes.get(m, MinuteStats(m)).revenue_cents for m in windows)),
        }
        return _answer(self, {"windowSeconds": int(WINDOW.total_seconds()), "windows": rows,
                              "total": total}, missing)


@app.page("/analytics/rejections")
class Rejections(View):
    """Rejection rate, overall and by reason, of the orders decided in ``?last=24h``."""

    async def get(self, request: Request) -> Response:
        try:
            windows, minutes, missing = await _order_stats(request, f"{SLOTS // 60}h")
        except BadQuery as exc:
            return self.json({"error": str(exc)}, status=400)
        stats = [minutes[m] for m in windows if m in minutes]
        orders = sum(s.confirmed + s.rejected for s in stats)
        counts = {reason: sum(getattr(s, REASON_FIELDS[reason]) for s in stats) for reason in REASONS}
        rejected = sum(counts.values())
        return _answer(self, {
            "since": _iso(windows.start), "orders": orders, "rejected": rejected,
            "rate": rejected / orders if orders else 0.0,
            "reasons": [{"reason": reason, "count": count, "rate": count / orders if orders else 0.0}
                        for reason, count in counts.items()],
        }, missing)


@app.page("/analytics/top-skus")
class TopSkus(View):
    """The skus with the most units sold: ``?limit=10``."""

    async def get(self, request: Request) -> Response:
        try:
            limit = parse_limit(request.query.get("limit", "10"))
        except BadQuery as exc:
            return self.json({"error": str(exc)}, status=400)
        answers, missing = await gather("top-skus", limit)
        sold: dict[str, int] = {}
        for answer in answers:
            for sku, units in answer.get("skus", []):
                sold[sku] = max(units, sold.get(sku, 0))
        top = heapq.nlargest(limit, sold.items(), key=lambda item: (item[1], item[0]))
        return _answer(self, {"skus": [{"sku": sku, "sold": units} for sku, units in top]}, missing)
