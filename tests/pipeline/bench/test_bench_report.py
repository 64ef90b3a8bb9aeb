"""`bench report`: the README section and the chart, from the run files of the other benchmark tests."""
from __future__ import annotations

from click.testing import CliRunner

from pipeline.bench import report
from pipeline.cli import main

README = ("# project\n\nintro\n\n## Benchmarks\n\n<!-- benchmarks:start -->\nold figures\n"
          "<!-- benchmarks:end -->\n\n## After\n")


def test_report_writes_the_section_and_the_chart(throughput_run, latency_run, state_run, profile_run,
                                                 bench_dir, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(README)
    outcome = CliRunner().invoke(main, ["bench", "report", "--results-dir", str(bench_dir), "--readme", str(readme)])
    assert outcome.exit_code == 0, outcome.output
    text = readme.read_text()
    assert "old figures" not in text and text.endswith("## After\n") and text.count(report.START) == 1
    saga = throughput_run["results"]["variants"]["saga"]
    assert f"| {saga['label']} | exactly_once | {saga['best']:,.0f} |" in text
    assert f"| {saga['label']} | {saga['records']['read']:.2f} | {saga['records']['internal']:.2f} |" in text
    assert f"{state_run['results']['rss_mib']:,.0f} MiB" in text
    first_rate = latency_run["results"]["rates"][0]
    assert f"| {first_rate['received']:,} / {first_rate['sent']:,} |" in text
    assert profile_run["results"]["top_own"][0]["function"] in text
    assert f"{throughput_run['machine']['cores']} cores" in text
    assert "| saga / bare transactional loop (best) |" in text and "a plain Faust agent's 1,060 |" in text
    for name in ("throughput", "latency", "state", "profile"):
        assert list((bench_dir / "readme").glob(f"{name}-*.json")), name
    assert (bench_dir / report.CHART).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_appends_a_section_to_a_readme_without_one(throughput_run, bench_dir, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# project\n")
    report.update_readme(readme, f"{report.START}\nfigures\n{report.END}")
    report.update_readme(readme, f"{report.START}\nnew figures\n{report.END}")
    assert readme.read_text() == f"# project\n\n## Benchmarks\n\n{report.START}\nnew figures\n{report.END}\n"
