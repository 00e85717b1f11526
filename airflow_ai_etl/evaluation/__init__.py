"""Eval harness: a suite of requests with expectations, run through the agents, scored.

    ai-etl eval examples/demo/eval_suite.yaml --offline

lets a user compare models (or the offline planner) on their own schema: pass rate, tokens and
latency per case and overall.
"""

# Nothing is imported here: `ai-etl --help` imports evaluation.cli, which must stay cheap.
# Import from the modules: evaluation.suite (load_suite, Suite, ...), evaluation.runner (run_suite).
