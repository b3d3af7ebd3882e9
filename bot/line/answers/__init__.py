"""Answers about market status, relief and registration from the content and live data
organizers own; organizer SMS commands; paging of long answers. Importing registers the routes
(bot/line/routes.py) and flows (bot/line/flows/runner.py)."""
from bot.line import organizer  # noqa: F401  (first: its hook sees "STATUS Gikomba ..." before the others
from bot.line.answers import market, paging, relief  # noqa: F401
