"""poll answers keep the member's market and trade at the time of answering (results without a join)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('poll_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('market', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('trade', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('poll_answers', schema=None) as batch_op:
        batch_op.drop_column('trade')
        batch_op.drop_column('market')
