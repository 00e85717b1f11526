"""Step kinds: one folder per kind, holding everything the package knows about it.

`<kind>/model.py` is the kind's spec model (it imports only `spec.base`); `<kind>/kind.py` is its
behaviour (validation, render fragment, tables, eval facts, SQL fields), a `Kind` subclass listed
in `registry.py`. `spec.models` loads the models without the behaviour (which imports validation
and render); this module loads the spec first, so any kind module can be the first one imported.
"""

import airflow_ai_etl.spec  # noqa: F401
