"""Twilio message statuses in the order they happen: a status only replaces a lower-ranked one
(callbacks arrive twice and out of order)."""

RANK = {
    "accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4, "read": 5,
}
