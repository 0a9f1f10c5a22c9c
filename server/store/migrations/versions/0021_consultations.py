"""consultations and first responders (issue 20; this revision may be filled in by its part's work, or stay empty)

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consultations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('topic', sa.String(length=500), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=True),
    sa.Column('item_name', sa.String(length=200), nullable=True),
    sa.Column('answer', sa.String(length=2000), nullable=True),
    sa.Column('first_responder', sa.String(length=64), nullable=False),
    sa.Column('first_responder_name', sa.String(length=100), nullable=True),
    sa.Column('counter', sa.Integer(), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('escalation_answer', sa.String(length=2000), nullable=True),
    sa.Column('escalation_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_answered_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_consultations_hall_day', 'consultations', ['hall', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_consultations_hall_day', table_name='consultations')
    op.drop_table('consultations')
