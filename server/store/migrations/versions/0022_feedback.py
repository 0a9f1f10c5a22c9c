"""feedback and window escalations (issue 20)

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('ticket', sa.String(length=16), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('taken_by', sa.String(length=64), nullable=True),
    sa.Column('status_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('line', sa.String(length=64), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('person', sa.String(length=64), nullable=True),
    sa.Column('counter', sa.Integer(), nullable=True),
    sa.Column('clerk', sa.String(length=64), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('status_token')
    )
    op.create_index('ix_feedback_hall_due', 'feedback', ['hall', 'due_date'], unique=False)
    op.create_index('ix_feedback_hall_created', 'feedback', ['hall', 'created_at'], unique=False)
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('counter', sa.Integer(), nullable=True),
    sa.Column('clerk', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_escalations_hall_created', 'escalations', ['hall', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_escalations_hall_created', table_name='escalations')
    op.drop_table('escalations')
    op.drop_index('ix_feedback_hall_created', table_name='feedback')
    op.drop_index('ix_feedback_hall_due', table_name='feedback')
    op.drop_table('feedback')
