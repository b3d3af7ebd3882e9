"""authorities and escalations: reports raised with city departments, utilities, police, markets management

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'authorities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.Column('phone', sa.String(length=32), nullable=True),
        sa.Column('office', sa.String(length=300), nullable=True),
        sa.Column('categories', JSON, nullable=False),
        sa.Column('places', JSON, nullable=False),
        sa.Column('deadlines', JSON, nullable=False),
        sa.Column('default_days', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization'], ['organizations.slug'],
                                name=op.f('fk_authorities_organization_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_authorities')),
        sa.UniqueConstraint('organization', 'name', name='uq_authorities_organization_name'),
    )
    op.create_table(
        'escalations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization', sa.String(length=64), nullable=False),
        sa.Column('authority_id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('cluster_id', sa.Integer(), nullable=True),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('reference', sa.String(length=100), nullable=True),
        sa.Column('raised_by', sa.String(length=100), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('followup_asked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('followup_answer', sa.String(length=8), nullable=True),
        sa.Column('followup_answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('overdue', sa.Boolean(), nullable=False),
        sa.Column('reopened', sa.Boolean(), nullable=False),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization'], ['organizations.slug'],
                                name=op.f('fk_escalations_organization_organizations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'],
                                name=op.f('fk_escalations_authority_id_authorities'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['report_id'], ['reports.id'],
                                name=op.f('fk_escalations_report_id_reports'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['cluster_id'], ['report_clusters.id'],
                                name=op.f('fk_escalations_cluster_id_report_clusters'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                                name=op.f('fk_escalations_contact_id_contacts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['notification_id'], ['outbound_messages.id'],
                                name=op.f('fk_escalations_notification_id_outbound_messages'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    )
    op.create_index('ix_escalations_authority_raised', 'escalations', ['authority_id', 'raised_at'])
    op.create_index('ix_escalations_followup', 'escalations', ['organization', 'state', 'due_at'])
    op.create_index(op.f('ix_escalations_report_id'), 'escalations', ['report_id'])
    op.create_index(op.f('ix_escalations_contact_id'), 'escalations', ['contact_id'])


def downgrade() -> None:
    op.drop_table('escalations')
    op.drop_table('authorities')
