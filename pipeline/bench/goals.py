"""The figures each benchmark aims at, printed as met / not met (never asserted)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from rich.table import Table


@dataclass(frozen=True)
class Goal:
    """``value`` must be at least (``at_least``) or at most ``target``; None means not measured.

    ``beyond``: the true value is past ``value`` on the wrong side (above it for
    an "at most" goal, below it for an "at least" one): ``value`` is only the
    bound the benchmark could see, e.g. a latency longer than the time it waited.
    """

    name: str
    value: float | None
    target: float
    at_least: bool
    unit: str = ""
    beyond: bool = False

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        within = self.value >= self.target if self.at_least else self.value <= self.target
        if self.beyond:
            return None if within else False  # a bound within the target says nothing of the true value
        return within

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


def figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if abs(value) < 1:
        return f"{value:.3g}{unit}"
    return f"{value:,.2f}{unit}" if abs(value) < 100 else f"{value:,.0f}{unit}"


def table(goals: list[Goal]) -> Table:
    """One row per goal: measured, target, met / not met."""
    out = Table(title="goals")
    for column in ("goal", "measured", "target", ""):
        out.add_column(column, justify="left" if column == "goal" else "right")
    for goal in goals:
        verdict = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]not measured[/]"}[goal.met]
        measured = figure(goal.value, goal.unit)
        out.add_row(goal.name, f"{'<' if goal.at_least else '>'} {measured}" if goal.beyond else measured,
                    f"{'>=' if goal.at_least else '<='} {figure(goal.target, goal.unit)}", verdict)
    return out


def from_records(records: list[dict]) -> list[Goal]:
    """Goals back from the dicts of a run file."""
    return [Goal(**{key: value for key, value in record.items() if key != "met"}) for record in records]
