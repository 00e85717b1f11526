"""The one error the renderer raises."""

from __future__ import annotations


class RenderError(ValueError):
    """A spec (or a value in it) that cannot be turned into DAG source; the message names the step."""
