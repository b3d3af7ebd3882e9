"""Feature modules that register routes (bot/routes.py) and flows; the engine imports this once."""
from bot import flows  # noqa: F401  registers the language flow
from bot import answers  # noqa: F401  market status, relief, registration, organizer commands, paging
