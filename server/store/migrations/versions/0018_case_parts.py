"""case parts: each department that must decide a case (联审联办) and where its part stands; 补正 pauses

Every case of before gets one part, its own department's, whose status follows the case's.

Revision ID: 0018
Revises: 0017
"""

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_PART_OF = {"incomplete": "pending", "accepted": "pending", "in_review": "in_review", "approved": "approved",
            "rejected": "rejected", "ready": "approved", "collected": "approved", "mailed": "approved",
            "closed": "rejected"}


def upgrade() -> None:
    op.create_table('case_parts',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'department')
    )
    op.create_index('ix_case_parts_department', 'case_parts', ['department', 'status'], unique=False)
    op.add_column('case_events', sa.Column('department', sa.String(length=32), nullable=True))
    op.add_column('cases', sa.Column('paused_on', sa.Date(), nullable=True))
    bind = op.get_bind()
    for case_id, department, status, updated_at in bind.execute(sa.text(
            "SELECT id, department, status, updated_at FROM cases")).all():
        bind.execute(sa.text("INSERT INTO case_parts (case_id, department, lead, status, updated_at) "
                             "VALUES (:case_id, :department, :lead, :status, :at)"),
                     {"case_id": case_id, "department": department[:32], "lead": True,
                      "status": _PART_OF.get(status, "pending"), "at": updated_at})


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('paused_on')
    with op.batch_alter_table('case_events') as batch:
        batch.drop_column('department')
    op.drop_index('ix_case_parts_department', table_name='case_parts')
    op.drop_table('case_parts')
