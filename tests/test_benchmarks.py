"""The benchmark harness runs end to end at toy size; no timing is asserted (performance lives in benchmarks/)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks import (
    batch_scaling,
    blocking,
    bookkeeping,
    cold_start,
    faces,
    fast_paths,
    gpu,
    library,
    registry,
    review_queue,
    transparency_log,
    vs_diffusers,
)
from benchmarks.harness import Table, publish

TOY = ["--toy", "--runs", "1", "--size", "64", "--steps", "1"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return ["--cache", str(tmp_path_factory.mktemp("bench-cache"))]


def table_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| -")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_vs_diffusers_compares_previs_with_plain_diffusers(cache: list[str]) -> None:
    rows = table_rows(vs_diffusers.main([*TOY, *cache, "--models", "tiny"]))
    assert [row[0] for row in rows] == ["model", "tiny"]
    assert rows[1][-1] == "yes"  # same pixels: previs adds bookkeeping, not different work


def test_gpu_benchmark_sets_up_on_the_cpu(cache: list[str]) -> None:
    # Through vs_diffusers' comparison, with the SD 1.5 architecture built from its config (toy widths).
    rows = table_rows(gpu.main(["--device", "cpu", "--tiny-check", *cache, "--models", "sd15"]))
    assert rows[1][0] == "sd15" and rows[1][-1] == "yes" and rows[1][-2] == "n/a"


def test_bookkeeping_times_every_stage(cache: list[str]) -> None:
    text = bookkeeping.main(["--runs", "1", "--size", "64", "--frames", "2", "--registry-sizes", "3,5", *cache])
    stages = {row[0] for row in table_rows(text)}
    assert {"consent check", "prompt render", "provenance record", "C2PA sign", "PNG encode", "file write",
            "database commit, ledger", "**total**"} <= stages
    assert "| previs (Up filter, ISA-L level 1) " in text and "| Pillow, level 9 " in text  # the PNG table
    assert [row[0] for row in table_rows(text) if row[0] in {"3", "5"}] == ["3", "5"]  # the gate by registry size


def test_registry_times_the_gate_and_registration_by_size(cache: list[str]) -> None:
    rows = table_rows(registry.main(["--runs", "1", "--sizes", "5,12", *cache]))
    assert [row[0] for row in rows] == ["registered performers", "5", "12"] and len(rows[1]) == 5


def test_faces_times_the_search_and_the_match(cache: list[str]) -> None:
    rows = table_rows(faces.main(["--runs", "1", "--sizes", "512", "--gallery", "3,7", *cache]))
    assert [row[0] for row in rows] == ["picture", "512x512, no face", "512x512, astronaut",
                                        "registered reference faces", "3", "7"]


def test_review_queue_times_the_first_page_by_size(cache: list[str]) -> None:
    rows = table_rows(review_queue.main(["--runs", "1", "--sizes", "3,8", *cache]))
    assert [(row[0], row[1], row[2]) for row in rows[1:]] == [("3", "no", "3"), ("8", "no", "8"), ("8", "yes", "4")]


def test_library_times_a_page_by_size(cache: list[str]) -> None:
    rows = table_rows(library.main(["--runs", "1", "--sizes", "3,30", *cache]))
    assert [(row[0], row[-1]) for row in rows[1:]] == [("3", "3"), ("30", "24")]


def test_batch_scaling_reports_each_batch(cache: list[str]) -> None:
    rows = table_rows(batch_scaling.main([*TOY, *cache, "--batches", "1,2"]))
    assert [row[0] for row in rows] == ["batch", "1", "2"]


def test_fast_paths_measure_each_setting_off_and_on(cache: list[str]) -> None:
    text = fast_paths.main([*TOY, *cache, "--only", "shared,batching,channels_last,vae_tiling",
                            "--vae-size", "576"])
    names = [row[0] for row in table_rows(text)]
    assert {"PREVIS_BATCHING", "PREVIS_CHANNELS_LAST", "whole", "tiled"} <= set(names)
    assert any(name.startswith("shared") for name in names)


def test_cold_start_helpers_time_a_process_and_poll_a_server(tmp_path: Path) -> None:
    assert cold_start.seconds_to_exit([sys.executable, "-c", "pass"], {}) > 0
    port = cold_start.free_port()
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    assert cold_start.seconds_until_serving(server, {}, f"http://127.0.0.1:{port}/") > 0


def test_cold_start_runs_its_cheap_rows(cache: list[str]) -> None:
    rows = table_rows(cold_start.main(["--runs", "1", "--only", "1", *cache]))
    assert rows[1][1].startswith("interpreter")


def test_publish_replaces_only_its_own_section(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nintro\n\n<!-- bench:a -->\nold\n<!-- /bench:a -->\n\nafter\n")
    table = Table(["x"])
    table.add(1.23456)
    publish("a", table.markdown() + "\n", doc)
    publish("b", "new section\n", doc)
    text = doc.read_text()
    assert "old" not in text and "| 1.23 |" in text and text.index("after") < text.index("new section")
    assert text.startswith("# Performance\n\nintro\n")


def test_transparency_log_times_proofs_at_a_log_size(cache: list[str]) -> None:
    rows = table_rows(transparency_log.main(["--runs", "1", "--entries", "37", *cache]))
    assert rows[0][0] == "operation at 37 entries" and len(rows) == 6


def test_blocking_times_blockouts_and_the_controlnet(cache: list[str]) -> None:
    rows = table_rows(blocking.main(["--toy", "--runs", "1", "--steps", "1", *cache]))
    assert any("controlnet" in " ".join(row) for row in rows) and any("INT. KITCHEN" in " ".join(row) for row in rows)
