"""appointments

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appointments',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('queue', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slot', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('id_last4', sa.String(length=4), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('cancel_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_slot', ['hall', 'queue', 'day', 'slot'], unique=False)
        batch_op.create_index('ix_appointments_id_hash', ['hall', 'id_hash'], unique=False)
        batch_op.create_index('ix_appointments_day_status', ['hall', 'day', 'status'], unique=False)
    op.create_table('appointment_settings',
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('hall')
    )


def downgrade() -> None:
    op.drop_table('appointment_settings')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_day_status')
        batch_op.drop_index('ix_appointments_id_hash')
        batch_op.drop_index('ix_appointments_slot')
    op.drop_table('appointments')
