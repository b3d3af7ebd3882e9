"""broadcast recipient rows made in chunks: the audience's last contact id and size at send, and how far
the rows have been made (contact ids up to audience_through)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('audience_size', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('audience_last_id', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('audience_through', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_column('audience_through')
        batch.drop_column('audience_last_id')
        batch.drop_column('audience_size')
