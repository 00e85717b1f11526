"""The static SQL validator against PostgreSQL's own verdict on the differential corpus.

    python benchmarks/sql_validator.py [--show 20]

Reference: PostgreSQL 15's EXPLAIN on empty tables of the same schemas (tests/support/sql_corpus:
hand-written queries over five schemas plus systematic mutations, labelled by the harness).
A query is "rejected" when the validator reports an error finding; the positive class is
"invalid". Prints the corpus, the misses and false rejections by mutation kind (--show lists
some with PostgreSQL's message), and last accuracy, precision, recall, false rejections and the
median / p95 time per query (wall clock, then this process's CPU time, which other work on the
machine disturbs less). Targets: precision 1.000, recall >= 0.97, median <= 5 ms.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
from pathlib import Path

# Airflow reads its configuration on first import: keep it away from the user's ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ai-etl-bench-home-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.sql_corpus import build_corpus
from tests.support.sql_corpus.oracle import catalogs, corpus_database, label, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="print this many misses and false rejections")
    args = parser.parse_args()
    with corpus_database() as dsn:
        schemas = catalogs(dsn)
        corpus = build_corpus(schemas)
        labelled = label(dsn, corpus)
    result = score(labelled, schemas)
    valid = sum(item.valid for item in labelled)
    print(f"corpus: {len(corpus)} queries over {len(schemas)} schemas, {valid} valid per PostgreSQL")
    missed = collections.Counter(item.case.origin for item in result.missed)
    false = collections.Counter(item.case.origin for item in result.false_rejections)
    print("missed by origin:", dict(missed.most_common()))
    print("false rejections by origin:", dict(false.most_common()))
    for item in [*result.false_rejections, *result.missed][: args.show]:
        kind = "FALSE REJECTION" if item.valid else "MISSED"
        print(
            f"  {kind} [{item.case.schema}/{item.case.origin}] {item.case.sql}\n      postgres: {item.error}"
        )
    print(
        f"accuracy {result.accuracy:.3f}  precision {result.precision:.3f}  recall {result.recall:.3f}  "
        f"false rejections {len(result.false_rejections)}  "
        f"median {result.median_ms:.2f} ms  p95 {result.time_ms(0.95):.2f} ms per query "
        f"(CPU: median {result.median_cpu_ms:.2f} ms, p95 {result.time_ms(0.95, cpu=True):.2f} ms)"
    )


if __name__ == "__main__":
    main()
