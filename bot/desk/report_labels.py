"""How the reports pages name a category, a status, and a group of reports of one category (English;
the pages translate through webhooks/dashboard/i18n.py)."""
from __future__ import annotations

LABELS = {"eviction": "eviction", "confiscation": "confiscation", "harassment": "harassment",
          "bribe": "bribe demand", "closure": "closure/demolition", "fire_flood": "fire or flood",
          "waste": "waste not collected", "unpaid": "unpaid recyclables", "injury": "injury", "other": "other"}
PLURALS = {"eviction": "evictions", "confiscation": "confiscations", "harassment": "harassment reports",
           "bribe": "bribe demands", "closure": "closures", "fire_flood": "fire/flood reports",
           "waste": "waste reports", "unpaid": "unpaid-recyclables reports", "injury": "injuries",
           "other": "other reports"}
STATUS_LABELS = {"new": "new", "verified": "verified", "in_progress": "in progress", "resolved": "resolved",
                 "rejected": "rejected"}


def category_label(category: str) -> str:
    return LABELS.get(category, category.replace("_", " "))


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
