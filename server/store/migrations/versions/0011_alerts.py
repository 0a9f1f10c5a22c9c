"""alert settings and acknowledgements

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_settings',
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('hall')
    )
    op.create_table('alert_acks',
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('alert_id', sa.String(length=200), nullable=False),
    sa.Column('acked_by', sa.String(length=64), nullable=False),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('hall', 'alert_id')
    )


def downgrade() -> None:
    op.drop_table('alert_acks')
    op.drop_table('alert_settings')
