"""Validation does linear work in the number of steps: counted, not timed.

The work is the calls `validate_spec` makes, per function (cProfile counts them; unlike time on a
shared machine they do not vary from run to run). From N to 2N to 4N steps, each function's
calls must grow by increments whose ratio is about 2, as linear work's do; a function run once per
pair of steps grows by increments in the ratio 4, whatever the fixed cost. The spec and catalogs
are benchmarks/validation_scale.py's (chains of sql -> transfer -> quality_check -> file_export
steps against 200-table catalogs), which shows the same curve in seconds up to MAX_STEPS.
"""

from __future__ import annotations

import cProfile
import gc
import pstats

from airflow_ai_etl.validation import ValidationContext, validate_spec
from benchmarks.validation_scale import context, spec_of

#: Functions called fewer times than this more from 2N to 4N steps are too few to judge.
_MIN_INCREMENT = 64


def _calls_per_function(steps: int, ctx: ValidationContext) -> dict[tuple[str, int, str], int]:
    spec = spec_of(steps)
    # The garbage collector runs when it will, and the callbacks it triggers (weakref removals of
    # objects earlier tests left) would be counted as this run's work: collect first, then keep it off.
    gc.collect()
    gc.disable()
    profile = cProfile.Profile()
    try:
        profile.enable()
        report = validate_spec(spec, ctx)
        profile.disable()
    finally:
        gc.enable()
    assert report.ok, report.errors[:1]
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return {function: counts[1] for function, counts in stats.items()}


def test_validation_work_grows_linearly_with_the_steps() -> None:
    ctx = context()
    validate_spec(spec_of(8), ctx)  # per-catalog caches warm, as in a long-lived process
    small, double, quadruple = (_calls_per_function(n, ctx) for n in (16, 32, 64))

    total = [sum(calls.values()) for calls in (small, double, quadruple)]
    assert 1.8 < (total[2] - total[1]) / (total[1] - total[0]) < 2.2, total

    superlinear = {}
    for function in quadruple:
        first, second = (
            double.get(function, 0) - small.get(function, 0),
            quadruple[function] - double.get(function, 0),
        )
        if second >= _MIN_INCREMENT and second > 3 * max(first, 1):
            superlinear[function] = (small.get(function, 0), double.get(function, 0), quadruple[function])
    assert not superlinear, f"calls at 16, 32, 64 steps: {superlinear}"
