"""The API's contract: webhooks/openapi.yaml (OpenAPI 3.1), read once and served as JSON at
/api/v1/openapi.json. Tests validate requests and responses against it (openapi-core) and run
schemathesis against a live app (tests/api/)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

PATH = Path(__file__).with_name("openapi.yaml")


@lru_cache(maxsize=1)
def description() -> dict:
    with PATH.open(encoding="utf-8") as f:
        return yaml.safe_load(f)
