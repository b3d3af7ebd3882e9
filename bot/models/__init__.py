"""The database: typed SQLAlchemy 2 models, one module per concern. Alembic migrations in
migrations/ must match these (tests/migrations checks it)."""
from bot.models.core import (  # noqa: F401
    NAMING,
    Base,
    Contact,
    InboundMessage,
    JSONType,
    Organization,
    OrganizationNumber,
    OutboundMessage,
    StatusEvent,
    utcnow,
)
from bot.models.live import *  # noqa: F401,F403  market status, relief distributions, API tokens
from bot.models.members import *  # noqa: F401,F403  registrations, reports, media
from bot.models.broadcasts import *  # noqa: F401,F403  broadcasts and their recipients
from bot.models.accounts import *  # noqa: F401,F403  organizers, audit log, handovers
from bot.models.privacy import *  # noqa: F401,F403  opt-outs of forgotten workers, hashed
from bot.models.polls import *  # noqa: F401,F403  member polls, their versions and answers
from bot.models.authorities import *  # noqa: F401,F403  authorities and escalations of reports to them
from bot.models.evidence import *  # noqa: F401,F403  evidence packs made in the background, with their PDF
