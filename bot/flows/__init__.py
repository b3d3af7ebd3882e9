"""Conversation flows, one per file. Importing this package registers them with the runner."""
from bot.flows import language  # noqa: F401
from bot.flows import registration, report  # noqa: F401  registration and incident reports (issue 5)
from bot.flows import forget  # noqa: F401  FORGET and MYDATA (issue 17)
from bot.flows.runner import FLOWS, Runner, active, register  # noqa: F401
