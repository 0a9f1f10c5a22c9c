"""daily roll-ups and report exports

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_daily",
        sa.Column("hall", sa.String(32), sa.ForeignKey("halls.code"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("dim", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("agg", sa.JSON, nullable=False),
    )
    op.create_table(
        "report_days",
        sa.Column("hall", sa.String(32), sa.ForeignKey("halls.code"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "report_exports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hall", sa.String(32), sa.ForeignKey("halls.code"), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer),
        sa.Column("filename", sa.String(200)),
        sa.Column("content", sa.LargeBinary),
        sa.Column("error", sa.Text),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_exports_hall", "report_exports", ["hall", "created_at"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("channel", sa.String(16)))
        batch.add_column(sa.Column("departments", sa.JSON))
        batch.add_column(sa.Column("paperless", sa.Boolean))
        batch.add_column(sa.Column("standardized", sa.Boolean))
    op.create_index("ix_cases_hall_day", "cases", ["hall", "day"])


def downgrade() -> None:
    op.drop_index("ix_cases_hall_day", "cases")
    with op.batch_alter_table("cases") as batch:
        for name in ("standardized", "paperless", "departments", "channel"):
            batch.drop_column(name)
    op.drop_index("ix_report_exports_hall", "report_exports")
    op.drop_table("report_exports")
    op.drop_table("report_days")
    op.drop_table("report_daily")
