"""Agents that turn a plain-language request into a PipelineSpec; the offline planner needs no model."""

from airflow_ai_etl.agents.offline import OfflinePlan, plan_offline

__all__ = ["OfflinePlan", "plan_offline"]
