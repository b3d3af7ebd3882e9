"""polls: the broadcasts that sent a closed poll's results back (claimed once), when they all went, and
the token of an optional public permalink to the anonymised results

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_broadcasts', sa.JSON().with_variant(
            postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('results_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('public_token', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_polls_public_token', ['public_token'], unique=True)
    # Polls closed before results went back are not told now, months later.
    op.execute("UPDATE polls SET results_sent_at = closed_at WHERE state = 'closed'")


def downgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_index('ix_polls_public_token')
        batch_op.drop_column('public_token')
        batch_op.drop_column('results_sent_at')
        batch_op.drop_column('results_broadcasts')
