"""The README's BENCHMARKS section and its chart, made from the latest run files only.

Every figure in that section comes from a run file of ``bench/results/`` (the
newest of each benchmark), together with the command that reproduces it and
the machine it ran on; nothing is typed in by hand. The run files used are
copied to ``bench/results/readme/`` (committed, unlike the others) so that the
section can be regenerated, and checked, from a fresh clone.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import click
from rich.console import Console

from pipeline.bench import goals, latency, profile, records, results, state, throughput

BENCHMARKS = ("throughput", "latency", "state", "profile")
README = results.RESULTS_DIR.parents[1] / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
CHART = "benchmarks.png"


def load(results_dir: Path) -> dict[str, dict]:
    """The newest run of each benchmark: from ``results_dir``, else from its ``readme/`` copies."""
    found = {}
    for name in BENCHMARKS:
        record = results.latest(name, results_dir, results_dir / "readme")
        if record is not None:
            found[name] = record
    return found


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def machine_line(record: dict) -> str:
    m = record["machine"]
    v = m["versions"]
    return (f"{m['cores']} cores ({m['cpu']}), {m['memory_gib']:.0f} GiB, {m['os']}, load average "
            f"{m['load_average'][0]:.1f} at the start; Python {v['python']}, faust-streaming {v['faust-streaming']}, "
            f"aiokafka {v['aiokafka']}, confluent-kafka {v['confluent-kafka']}, "
            f"Quix Streams {v.get('quixstreams', '-')}, "
            f"Kafka {v['kafka']} (one broker, KRaft) and Apicurio {v['apicurio']} on the same machine; "
            f"commit {m['commit']}")


def throughput_section(record: dict) -> list[str]:
    s, r = record["settings"], record["results"]
    command = (f"orderflow bench throughput --orders {s['orders']} --repeat {s['repeat']} --users {s['users']} "
               f"--skus {s['skus']} --commit-interval {s['commit_interval']} --variants {','.join(s['variants'])} "
               f"--run-timeout {s['run_timeout']:g}")
    rows = []
    for v in r["variants"].values():
        last = v["runs"][-1]["outcomes"]
        label = v["label"] + ("" if all(run["complete"] for run in v["runs"]) else
                              f" (incomplete: stopped after {s['run_timeout']:,.0f} s)")
        rows.append([label, v["guarantee"], f"{v['best']:,.0f}", f"{v['median']:,.0f}",
                     f"{last.get('CONFIRMED', 0) / max(1, sum(last.values())):.0%}",
                     f"{sum(run['duplicates'] for run in v['runs']):,}"])
    rows += [[f"**{name}**", "", goals.figure(ratio["best"], "x"), goals.figure(ratio["median"], "x"), "", ""]
             for name, ratio in r["ratios"].items()]
    return [f"### Throughput: {s['workload']['orders']:,} orders, best and median of {s['repeat']}", "",
            f"`{command}` ({record['file']}). Each contender reads the same pre-produced orders with its own "
            f"consumer group and writes its own output topic (acks=all, commit every {s['commit_interval']} s); "
            "a rate is orders / (process start -> last outcome read by a `read_committed` consumer). "
            f"The saga also processes the seed events ({s['workload']['skus']:,} stock, {s['workload']['users']:,} "
            "deposits), Quix the stock ones; Quix does the inventory half of the saga only (per-sku reservations "
            "in its state, no payments, no compensation).", "",
            *_table(["contender", "guarantee", "best orders/s", "median orders/s", "confirmed",
                     "duplicate outcomes"], rows), "", *records_section(r["variants"])]


def records_section(variants: dict[str, dict]) -> list[str]:
    """Records per order of each contender, for run files that counted them."""
    rows = records.rows(variants)
    if not rows:
        return []
    return ["Records per order, counted after each contender's first run (every committed record of every topic "
            "it wrote, read `read_committed`): read is the order plus the internal records (commands, replies, "
            "repartitions), which each cost a produce and a consume; changelogs and outputs are written only. "
            "The seed events' table writes are in the changelogs. Records/s: records moved x best orders/s.", "",
            *_table(list(records.COLUMNS), rows), ""]


def latency_section(record: dict) -> list[str]:
    s = record["settings"]
    command = (f"orderflow bench latency --rates {','.join(map(str, s['rates']))} --duration {s['duration']:g} "
               f"--drain {s['drain']:g}")
    return [f"### Latency: occurredAt -> outcome read, {s['duration']:g} s per rate", "",
            f"`{command}` ({record['file']}). One worker on fresh state; \"> {s['drain']:g} s\": orders still "
            "without an outcome that long after the last send.", "",
            *_table(list(latency.COLUMNS), latency.rows(record)), ""]


def state_section(record: dict) -> list[str]:
    r = record["results"]
    rows = [list(row) for row in state.rows(r)]
    return [f"### State: {r['skus']:,} skus", "", f"`orderflow bench state --skus {r['skus']}` ({record['file']}).",
            "", *_table(["", ""], rows), ""]


def profile_section(record: dict) -> list[str]:
    r = record["results"]
    rows = [[f"`{row['function']}`", f"{row['share']:.1%}"] for row in r["top_own"][:10]]
    packages = ", ".join(f"{row['function']} {row['share']:.0%}" for row in r["by_package"][:6])
    return [f"### Where the saga worker's CPU goes ({r['samples']:,} py-spy samples)", "",
            f"`orderflow bench profile --orders {record['settings']['orders']}` ({record['file']}), "
            f"{r['orders_per_s']:,.0f} orders/s while sampled. Own samples by package: {packages}. "
            f"Wall time, not CPU: {profile.commits_sentence(r)}.", "",
            *_table(["function (innermost frame)", "share of samples"], rows), ""]


def goals_of(name: str, record: dict) -> list[goals.Goal]:
    """A run's goals. Throughput goals are judged again from the run's rates, so that a run
    made before a goal was redefined is reported against the goal as it stands."""
    if name == "throughput":
        return throughput.throughput_goals(record["results"])
    return goals.from_records(record["results"].get("goals", []))


def goals_section(found: dict[str, dict]) -> list[str]:
    rows = []
    for name, record in found.items():
        for goal in goals_of(name, record):
            value = goals.figure(goal.value, goal.unit)
            if goal.beyond and goal.value is not None:
                value = f"{'<' if goal.at_least else '>'} {value}"
            target = f"{'>=' if goal.at_least else '<='} {goals.figure(goal.target, goal.unit)}"
            rows.append([goal.name, value, target, {True: "met", False: "**not met**", None: "not measured"}[goal.met]])
    return ["### Goals", "", *_table(["goal", "measured", "target", ""], rows), ""]


SECTIONS = {"throughput": throughput_section, "latency": latency_section, "state": state_section,
            "profile": profile_section}


def markdown(found: dict[str, dict], chart: str | None) -> str:
    first = next(iter(found.values()))
    lines = [START, "", "Made by `orderflow bench report` from the newest run files (copies in "
             "`bench/results/readme/`). Each section names the command and the run file behind it, and its sizes "
             "are those of that command; `make bench` runs all of them again at their full default sizes. The "
             "machine is shared, so expect noise: compare figures of one run file, not across files.", "",
             f"Machine: {machine_line(first)}.", ""]
    for name, section in SECTIONS.items():
        if name in found:
            lines += section(found[name])
    lines += goals_section(found)
    if chart:
        lines += [f"![throughput and latency](bench/results/{chart})", ""]
    return "\n".join(lines + [END])


def chart(found: dict[str, dict], path: Path) -> bool:
    """Throughput by contender and latency percentiles by rate, side by side; False if no data."""
    if "throughput" not in found and "latency" not in found:
        return False
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    if "throughput" in found:
        variants = list(found["throughput"]["results"]["variants"].values())
        names = [v["label"] for v in variants]
        bars = left.barh(names, [v["best"] for v in variants], color="#4878a8", label="best")
        left.bar_label(bars, [f"{v['best']:,.0f}/s" for v in variants], padding=10)
        left.scatter([v["median"] for v in variants], names, color="black", zorder=3, label="median")
        left.invert_yaxis()
        left.set_xscale("log")
        left.set_xlim(right=max(v["best"] for v in variants) * 8)
        left.set_xlabel("orders/s (log scale)")
        left.set_title(f"throughput, {found['throughput']['settings']['workload']['orders']:,} orders")
        left.legend(loc="lower right")
    if "latency" in found:
        rows = found["latency"]["results"]["rates"]
        drain_ms = found["latency"]["settings"]["drain"] * 1000
        width = 0.2
        for i, name in enumerate(("p50_ms", "p95_ms", "p99_ms", "max_ms")):
            values = [row[name] if row[name] is not None else drain_ms for row in rows]
            bars = right.bar([j + i * width for j in range(len(rows))], values, width, label=name[:-3])
            for bar, row in zip(bars, rows):
                if row[name] is None:
                    bar.set_hatch("//")
        right.set_xticks([j + 1.5 * width for j in range(len(rows))], [f"{row['rate']:,}/s" for row in rows])
        right.set_yscale("log")
        plain = FuncFormatter(lambda value, _: f"{value:,.0f}")
        right.yaxis.set_major_formatter(plain)
        right.yaxis.set_minor_formatter(plain)
        right.set_ylabel("ms (hatched: beyond the drain wait)")
        right.set_title("latency, occurredAt -> outcome read")
        right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def update_readme(readme: Path, section: str) -> None:
    """Replace the text between the markers, or append a Benchmarks section with them."""
    text = readme.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Benchmarks\n\n" + section + "\n"
    readme.write_text(text)


def run(results_dir: Path, readme: Path, console: Console) -> dict[str, dict]:
    found = load(results_dir)
    if not found:
        raise click.ClickException(f"no run files in {results_dir}: run `orderflow bench all` first")
    keep = results_dir / "readme"
    keep.mkdir(parents=True, exist_ok=True)
    for record in found.values():
        source = results_dir / record["file"]
        if source.exists():
            for old in keep.glob(f"{record['benchmark']}-*.json"):
                old.unlink()
            shutil.copy2(source, keep / record["file"])
    drawn = chart(found, results_dir / CHART)
    update_readme(readme, markdown(found, CHART if drawn else None))
    console.print(f"README section from {', '.join(r['file'] for r in found.values())}"
                  + (f"; chart {results_dir / CHART}" if drawn else ""))
    return found


@click.command("report")
@results.results_option
@click.option("--readme", type=click.Path(path_type=Path, dir_okay=False), default=README, show_default=True)
def command(results_dir: Path, readme: Path) -> None:
    """Write the README's benchmark section and chart from the newest run files."""
    run(results_dir, readme, Console())
