"""The feature modules: importing one registers its routes (bot/line/routes.py) and flows
(bot/line/flows/runner.py). The engine imports this once; the order sets the order of the `before`
hooks (`before_all` ones go ahead of the rest, the last imported first)."""
from bot.line.flows import language  # noqa: F401  the language form
from bot.line import organizer  # noqa: F401  organizer SMS commands (a before_all hook)
from bot.line.answers import market, paging, relief  # noqa: F401  market status, relief, registration, MORE
from bot.line.flows import registration, report, forget  # noqa: F401  the forms (issues 5, 17)
from bot.line import followup_answer  # noqa: F401  "Has it been fixed?" answers (issue 14)
from bot.line import polls  # noqa: F401  a member's reply to an open poll is the answer (before_all)
from bot.line import poll_command  # noqa: F401  POLL <question> from an organizer (before_all, ahead of all)
