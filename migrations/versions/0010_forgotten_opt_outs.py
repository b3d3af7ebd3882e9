"""forgotten workers: the opt-out of an erased contact, kept as a keyed hash of the number

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'forgotten_opt_outs',
        sa.Column('organization', sa.String(length=64), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=False),
        sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('forgotten_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization'], ['organizations.slug'],
                                name=op.f('fk_forgotten_opt_outs_organization_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization', 'phone_hash', name=op.f('pk_forgotten_opt_outs')),
    )


def downgrade() -> None:
    op.drop_table('forgotten_opt_outs')
