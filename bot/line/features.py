"""Feature modules that register routes (bot/line/routes.py) and flows; the engine imports this once."""
from bot.line import flows  # noqa: F401  registers the language flow
from bot.line import answers  # noqa: F401  market status, relief, registration, organizer commands, paging
from bot.line import followup_answer  # noqa: F401  "Has it been fixed?" answers (issue 14)
from bot.line import polls  # noqa: F401  a member's reply to an open poll is the answer (a before_all hook)
from bot.line import poll_command  # noqa: F401  POLL <question> from an organizer (a before_all hook, ahead of the answers)
