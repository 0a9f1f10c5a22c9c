"""rating exports (issue 20): one row per rating delivered to the provincial 好差评 platform

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rating_exports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rating_id')
    )
    op.create_index('ix_rating_exports_hall_status_day', 'rating_exports', ['hall', 'status', 'day'], unique=False)
    op.create_index('ix_rating_exports_claim', 'rating_exports', ['claim'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rating_exports_claim', table_name='rating_exports')
    op.drop_index('ix_rating_exports_hall_status_day', table_name='rating_exports')
    op.drop_table('rating_exports')
