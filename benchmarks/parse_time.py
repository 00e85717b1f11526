"""DAG parse cost: a rendered 10-step DAG against the same DAG written by hand and in dag-factory YAML.

    .venv/bin/python benchmarks/parse_time.py [--parses 200]

The pipeline is benchmarks/parse_time_dags/pipeline.yaml; the renderer turns it into a DAG file,
hand_written.py and dag_factory.yml (+ the dag_factory.py loader) describe the same DAG. The three
are first checked to produce the same tasks and edges. Then each file is parsed many times in this
one process, interleaved, the way the dag-processor parses a file: import it into a DagBag and
serialise its DAGs. Imports shared by every parse (Airflow, the operators' modules) are warm, as
they are in the dag-processor, which pre-imports them before forking. Prints the median time per
parse of each and, last, the ratios. Target: rendered <= 1.1x hand-written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

# Airflow reads its configuration on first import: keep it away from the user's ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ai-etl-bench-home-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # one line per DagBag otherwise
os.environ["DO_NOT_TRACK"] = "1"  # dag-factory telemetry

from airflow.dag_processing.dagbag import BundleDagBag
from airflow.serialization.serialized_objects import DagSerialization

from airflow_ai_etl.render.dagfile import render_dag
from airflow_ai_etl.spec import load_spec

HERE = Path(__file__).resolve().parent / "parse_time_dags"
TARGET_RATIO = 1.1
WARM_UP = 5


def _bag(path: Path) -> BundleDagBag:
    bag = BundleDagBag(dag_folder=path, bundle_path=path.parent, bundle_name="bench", load_op_links=False)
    if bag.import_errors:
        raise SystemExit(f"{path.name} does not import:\n" + "\n".join(bag.import_errors.values()))
    return bag


def parse(path: Path) -> list[dict[str, Any]]:
    """One parse as the dag-processor does it (dag_processing/processor.py: _parse_file)."""
    return [DagSerialization.to_dict(dag) for dag in _bag(path).dags.values()]


def shape(path: Path) -> dict[str, set[str]]:
    """Task id -> upstream task ids of the file's only DAG."""
    bag = _bag(path)
    if len(bag.dags) != 1:
        raise SystemExit(f"{path.name}: expected one DAG, found {sorted(bag.dags)}")
    (dag,) = bag.dags.values()
    return {task.task_id: set(task.upstream_task_ids) for task in dag.tasks}


def prepare(folder: Path) -> dict[str, Path]:
    """The three DAG files, side by side in one folder (one bundle)."""
    rendered = folder / "rendered.py"
    rendered.write_text(render_dag(load_spec(HERE / "pipeline.yaml")))
    for name in ("hand_written.py", "dag_factory.py", "dag_factory.yml"):
        shutil.copy(HERE / name, folder / name)
    return {
        "rendered": rendered,
        "hand-written": folder / "hand_written.py",
        "dag-factory": folder / "dag_factory.py",
    }


def check_same_dag(files: dict[str, Path]) -> int:
    shapes = {name: shape(path) for name, path in files.items()}
    reference = shapes["rendered"]
    for name, other in shapes.items():
        if other != reference:
            missing, extra = sorted(set(reference) - set(other)), sorted(set(other) - set(reference))
            edges = sorted(t for t in set(reference) & set(other) if reference[t] != other[t])
            raise SystemExit(
                f"{name} is not the same DAG as the rendered file: missing tasks {missing}, "
                f"extra tasks {extra}, different upstreams for {edges}. Update benchmarks/parse_time_dags/."
            )
    return len(reference)


def measure(files: dict[str, Path], parses: int) -> dict[str, list[float]]:
    """Seconds per parse for each file, interleaved so that drift affects all of them alike."""
    timings: dict[str, list[float]] = {name: [] for name in files}
    for _ in range(WARM_UP):
        for path in files.values():
            parse(path)
    for _ in range(parses):
        for name, path in files.items():
            started = time.perf_counter()
            parse(path)
            timings[name].append(time.perf_counter() - started)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parses", type=int, default=200, help="parses of each file (default 200)")
    args = parser.parse_args(argv)
    # dag-factory 1.1 imports Airflow 2 paths; the deprecation warnings say nothing about parse cost.
    warnings.filterwarnings("ignore", module=r"dagfactory\.|airflow\.providers\.standard\.")

    with tempfile.TemporaryDirectory(prefix="ai-etl-parse-bench-") as tmp:
        files = prepare(Path(tmp))
        tasks = check_same_dag(files)
        steps = len(load_spec(HERE / "pipeline.yaml").steps)
        print(f"one DAG: {steps} steps, {tasks} tasks; {args.parses} parses of each file, {WARM_UP} warm-up")
        timings = measure(files, args.parses)

    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, values in timings.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"  {name:<13} median {medians[name] * 1e3:6.2f} ms   p90 {p90 * 1e3:6.2f} ms")
    base = medians["hand-written"]
    rendered_ratio = medians["rendered"] / base
    verdict = "meets" if rendered_ratio <= TARGET_RATIO else "MISSES"
    print(f"rendered / hand-written:    {rendered_ratio:.2f}x  ({verdict} the target <= {TARGET_RATIO}x)")
    print(f"dag-factory / hand-written: {medians['dag-factory'] / base:.2f}x")
    print(f"dag-factory / rendered:     {medians['dag-factory'] / medians['rendered']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
