"""The figures each benchmark aims at, printed as met / not met (never asserted)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from rich.table import Table


@dataclass(frozen=True)
class Goal:
    """``value`` must be at least (``at_least``) or at most ``target``; None means not measured."""

    name: str
    value: float | None
    target: float
    at_least: bool
    unit: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.at_least else self.value <= self.target

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}{unit}" if abs(value) < 100 else f"{value:,.0f}{unit}"


def table(goals: list[Goal]) -> Table:
    """One row per goal: measured, target, met / not met."""
    out = Table(title="goals")
    for column in ("goal", "measured", "target", ""):
        out.add_column(column, justify="left" if column == "goal" else "right")
    for goal in goals:
        verdict = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]not measured[/]"}[goal.met]
        out.add_row(goal.name, _figure(goal.value, goal.unit),
                    f"{'>=' if goal.at_least else '<='} {_figure(goal.target, goal.unit)}", verdict)
    return out
