"""agent counters: which counters each agent may drive, set by the hall (onewindow agent-counters)

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_counters',
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('hall', 'agent', 'counter')
    )


def downgrade() -> None:
    op.drop_table('agent_counters')
