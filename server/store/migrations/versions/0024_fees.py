"""fees (收费): the charges recorded on a case at acceptance or pickup (issue 20)

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_fees',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('settlement', sa.String(length=16), nullable=False),
    sa.Column('waived_reason', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_fees_case', 'case_fees', ['case_id'], unique=False)
    op.create_index('ix_case_fees_hall_day', 'case_fees', ['hall', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_fees_hall_day', table_name='case_fees')
    op.drop_index('ix_case_fees_case', table_name='case_fees')
    op.drop_table('case_fees')
