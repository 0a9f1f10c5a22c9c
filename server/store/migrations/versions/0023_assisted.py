"""assisted service (代办) (issue 20): the 代办 matters

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assisted',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('visitor_name', sa.String(length=64), nullable=False),
    sa.Column('contact', sa.String(length=32), nullable=True),
    sa.Column('item_code', sa.String(length=64), nullable=True),
    sa.Column('item_name', sa.String(length=200), nullable=True),
    sa.Column('ticket_id', sa.String(length=64), nullable=True),
    sa.Column('ticket_number', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('assistant', sa.String(length=64), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_assisted_hall_opened', 'assisted', ['hall', 'opened_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_assisted_hall_opened', table_name='assisted')
    op.drop_table('assisted')
