"""users.must_change_password: set when an administrator or manager chose the password (a new
account, a reset); the user must pick their own before anything else (server/context.py).
Accounts of before keep the passwords they have.

Revision ID: 0016
Revises: 0015
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it for a column with a default): a batch would copy the table,
    # and SQLite refuses to drop the users that tokens refer to.
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('users', 'must_change_password')  # SQLite 3.35 and later drop a column in place
