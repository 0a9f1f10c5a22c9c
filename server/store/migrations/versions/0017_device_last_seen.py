"""device last seen: tokens.last_seen_at, when a device token was last used (a kiosk issuing, a
display's or tablet's feed, an agent's socket and heartbeats), for the managers' 最近在线 on the
设备 tab. Written at most once a minute per token, in batches off the request path
(server/services/devices.py); null: never seen since this revision.

Revision ID: 0017
Revises: 0016
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tokens') as batch:
        batch.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tokens') as batch:
        batch.drop_column('last_seen_at')
