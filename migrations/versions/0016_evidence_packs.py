"""evidence packs made in an RQ job: filter, state and progress, the finished PDF kept to download again

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'evidence_packs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization', sa.String(length=64), nullable=False),
        sa.Column('filters', JSON, nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('reports', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('pdf', sa.LargeBinary(), nullable=True),
        sa.Column('bytes', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['organization'], ['organizations.slug'],
                                name=op.f('fk_evidence_packs_organization_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_packs')),
    )
    op.create_index('ix_evidence_packs_organization_created', 'evidence_packs', ['organization', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_evidence_packs_organization_created', table_name='evidence_packs')
    op.drop_table('evidence_packs')
