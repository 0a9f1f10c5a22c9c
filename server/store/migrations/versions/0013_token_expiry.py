"""token expiry: staff sign-ins and CLI user tokens end at expires_at (devices: null, never);
a user's tokens made before this never expired: they end 90 days after they were made (the CLI's
default for `token add --user`). Indexes on user_id (disabling a user revokes all of theirs in one
statement) and hall (a hall's device tokens, listed).

Revision ID: 0013
Revises: 0012
"""

from datetime import timedelta

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_tokens_user', ['user_id'], unique=False)
        batch_op.create_index('ix_tokens_hall', ['hall'], unique=False)
    tokens = sa.table('tokens', sa.column('token_hash', sa.String), sa.column('user_id', sa.Integer),
                      sa.column('created_at', sa.DateTime(timezone=True)),
                      sa.column('expires_at', sa.DateTime(timezone=True)))
    conn = op.get_bind()
    undying = conn.execute(sa.select(tokens.c.token_hash, tokens.c.created_at)
                           .where(tokens.c.user_id.is_not(None), tokens.c.expires_at.is_(None))).all()
    for token_hash, created_at in undying:
        conn.execute(tokens.update().where(tokens.c.token_hash == token_hash)
                     .values(expires_at=created_at + timedelta(days=90)))


def downgrade() -> None:
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_tokens_hall')
        batch_op.drop_index('ix_tokens_user')
        batch_op.drop_column('expires_at')
