"""health probe: /healthz writes a row here while writes are failing, to see them come back

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('health_probe',
    sa.Column('process', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('process')
    )


def downgrade() -> None:
    op.drop_table('health_probe')
