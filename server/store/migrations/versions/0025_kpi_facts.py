"""KPI facts (issue 20): whether a case was accepted at a comprehensive window (综合办理率, docs/kpis.md)

Cases received before this revision keep it null: unknown, left out of the rate, never counted as 0.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('comprehensive', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('comprehensive')
