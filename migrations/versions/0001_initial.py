"""organizations, contacts, inbound and outbound messages, status events

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('organizations',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_language', sa.String(length=8), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_organizations'))
    )
    op.create_table('status_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_events'))
    )
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_events_provider_sid'), ['provider_sid'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('profile_name', sa.String(length=200), nullable=True),
    sa.Column('whatsapp_id', sa.String(length=32), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opted_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_inbound_sms_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_inbound_whatsapp_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization'], ['organizations.slug'], name=op.f('fk_contacts_organization_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('organization', 'phone', name='uq_contacts_organization_phone')
    )
    op.create_table('organization_numbers',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('organization', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['organization'], ['organizations.slug'], name=op.f('fk_organization_numbers_organization_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_organization_numbers'))
    )
    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('organization', sa.String(length=64), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('from_address', sa.String(length=64), nullable=False),
    sa.Column('to_address', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('media', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('profile_name', sa.String(length=200), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('spooled', sa.Boolean(), nullable=False),
    sa.Column('nlu_intent', sa.String(length=64), nullable=True),
    sa.Column('nlu_confidence', sa.Float(), nullable=True),
    sa.Column('nlu_source', sa.String(length=16), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_inbound_messages_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization'], ['organizations.slug'], name=op.f('fk_inbound_messages_organization_organizations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_inbound_messages_provider_sid'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_messages_contact_received', ['contact_id', 'received_at'], unique=False)

    op.create_table('outbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=64), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('to_address', sa.String(length=64), nullable=False),
    sa.Column('from_address', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('encoding', sa.String(length=8), nullable=True),
    sa.Column('segments', sa.SmallInteger(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('in_reply_to_id', sa.Integer(), nullable=True),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_rank', sa.SmallInteger(), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_outbound_messages_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['in_reply_to_id'], ['inbound_messages.id'], name=op.f('fk_outbound_messages_in_reply_to_id_inbound_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization'], ['organizations.slug'], name=op.f('fk_outbound_messages_organization_organizations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_outbound_messages_provider_sid'))
    )



def downgrade() -> None:
    
    op.drop_table('outbound_messages')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_contact_received')

    op.drop_table('inbound_messages')
    op.drop_table('organization_numbers')
    op.drop_table('contacts')
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_events_provider_sid'))

    op.drop_table('status_events')
    op.drop_table('organizations')

