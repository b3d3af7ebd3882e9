"""live data: market statuses, relief distributions, pending broadcasts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('market_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=64), nullable=False),
    sa.Column('place_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization'], ['organizations.slug'], name=op.f('fk_market_statuses_organization_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_statuses'))
    )
    with op.batch_alter_table('market_statuses', schema=None) as batch_op:
        batch_op.create_index('ix_market_statuses_org_place', ['organization', 'place_id', 'created_at'], unique=False)

    op.create_table('relief_distributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=64), nullable=False),
    sa.Column('place_id', sa.String(length=64), nullable=True),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.String(length=200), nullable=False),
    sa.Column('programme_id', sa.String(length=64), nullable=True),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization'], ['organizations.slug'], name=op.f('fk_relief_distributions_organization_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relief_distributions'))
    )
    with op.batch_alter_table('relief_distributions', schema=None) as batch_op:
        batch_op.create_index('ix_relief_distributions_org_starts', ['organization', 'starts_at'], unique=False)

    op.create_table('pending_broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('place_id', sa.String(length=64), nullable=True),
    sa.Column('market_status_id', sa.Integer(), nullable=True),
    sa.Column('relief_distribution_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['market_status_id'], ['market_statuses.id'], name=op.f('fk_pending_broadcasts_market_status_id_market_statuses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization'], ['organizations.slug'], name=op.f('fk_pending_broadcasts_organization_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['relief_distribution_id'], ['relief_distributions.id'], name=op.f('fk_pending_broadcasts_relief_distribution_id_relief_distributions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_broadcasts'))
    )
    with op.batch_alter_table('pending_broadcasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_broadcasts_organization'), ['organization'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pending_broadcasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_broadcasts_organization'))

    op.drop_table('pending_broadcasts')
    with op.batch_alter_table('relief_distributions', schema=None) as batch_op:
        batch_op.drop_index('ix_relief_distributions_org_starts')

    op.drop_table('relief_distributions')
    with op.batch_alter_table('market_statuses', schema=None) as batch_op:
        batch_op.drop_index('ix_market_statuses_org_place')

    op.drop_table('market_statuses')
