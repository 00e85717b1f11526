"""The offline planner: deterministic, no model; the demo's default and the fallback planner.

It reads these phrasings (case-insensitive, anywhere in the request):

- tables: names from the catalogs, qualified or not, singular or plural, spaces for underscores;
  connections by id or by its specific part ("shop" for shop_pg; "warehouse" for dwh/warehouse ids);
  a target after into/to/as ("into analytics.orders", "to the warehouse", "as orders_copy").
- load mode: copy/full/replace (default), new/incremental/changes since, sync/upsert/dedupe/"by <key>",
  append; "using <column> as watermark".
- filters: "where <column> <op> <value> [and ...]" with =, is, is not, >, <, >=, <=, above, below,
  at least, more than, ...; values quoted, numbers, bare words or null.
- aggregation: "[hourly|daily|weekly|monthly|yearly] <total|sum|average|count|number of|min|max>
  <measure> per <column>[, <column>] [per day]".
- quality rules: "<column> must be unique", "<column> must not be null" / "never empty",
  "<column> must be positive", "at least N rows", "alert if the row count drops by more than N%".
- schedule: see `schedule.parse_schedule`; notification: "alert me at someone@example.com".

When pipeline memory holds an approved pipeline whose request has the same shape over the same
connections, the generation adapts that pipeline rather than the bare plan (see `adapt`).
"""

from airflow_ai_etl.agents.offline.intent import RequestIntent, parse_request
from airflow_ai_etl.agents.offline.planner import OfflinePlan, plan_offline
from airflow_ai_etl.agents.offline.schedule import ScheduleError, parse_schedule, schedule_to_cron

__all__ = [
    "OfflinePlan",
    "RequestIntent",
    "ScheduleError",
    "parse_request",
    "parse_schedule",
    "plan_offline",
    "schedule_to_cron",
]
