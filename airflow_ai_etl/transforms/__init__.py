"""Guarded Python transforms: the AST allowlist that admits code, and the sandbox that runs it.

A `python_transform` step's body is one pure function over a pyarrow RecordBatch. Nothing here
executes it in the calling process: `checker` only parses it, `sandbox` runs it in a child process
with resource limits, no inherited environment and (where the system allows) no network.
"""
