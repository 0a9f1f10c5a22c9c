"""departments: a hall's departments by code; the items' fuller fields (art. 7 and 8); a case keeps its department's name

Departments named before this revision (items, department accounts, cases held a name) become
departments whose code is that name, so nothing has to be rewritten; an administrator may give
them plain codes later by creating new ones.

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('hall', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['hall'], ['halls.code'], ),
    sa.PrimaryKeyConstraint('hall', 'code')
    )
    with op.batch_alter_table('items') as batch:
        batch.add_column(sa.Column('departments', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('statutory_days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('fee', sa.Text(), nullable=True))
        batch.add_column(sa.Column('legal_basis', sa.Text(), nullable=True))
        batch.add_column(sa.Column('acceptance_standard', sa.Text(), nullable=True))
        batch.add_column(sa.Column('immediate', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('online', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('star', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('position', sa.Integer(), nullable=True))
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('department_name', sa.String(length=100), nullable=True))
    # The names in use become departments (code = name, at most 32 characters kept as the code).
    bind = op.get_bind()
    named = bind.execute(sa.text(
        "SELECT hall, department FROM items UNION SELECT hall, department FROM cases "
        "UNION SELECT hall, department FROM users WHERE hall IS NOT NULL AND department IS NOT NULL")).all()
    seen = set()
    for hall, name in named:
        if not name or (hall, name[:32]) in seen:
            continue
        seen.add((hall, name[:32]))
        bind.execute(sa.text("INSERT INTO departments (hall, code, name, position, active) "
                             "VALUES (:hall, :code, :name, :position, :active)"),
                     {"hall": hall, "code": name[:32], "name": name, "position": len(seen), "active": True})


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('department_name')
    with op.batch_alter_table('items') as batch:
        for column in ('position', 'star', 'online', 'immediate', 'acceptance_standard', 'legal_basis', 'fee',
                       'statutory_days', 'departments'):
            batch.drop_column(column)
    op.drop_table('departments')
