"""The hall's departments and the catalog's fuller items (seed art. 7 and 8).

A department is known by its code everywhere (items, cases, department accounts); its name is what
pages show and can change. Departments are retired, never deleted, so old cases still name theirs.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table, Text

from .tables import items, metadata

departments = Table(
    "departments", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False, default=0),  # the order pages list them in
    Column("active", Boolean, nullable=False, default=True),
)

_ITEM_COLUMNS = (
    Column("departments", JSON),  # every department that must decide (联审联办), the lead first
    Column("statutory_days", Integer),  # 法定时限, working days
    Column("fee", Text),  # 收费标准
    Column("legal_basis", Text),  # 设定依据
    Column("acceptance_standard", Text),  # 受理标准
    Column("immediate", Boolean),  # 即办
    Column("online", Boolean),  # can be done online (网办)
    Column("star", Integer),  # 网上预审星级 1–5
    Column("position", Integer),  # the catalog's order (the file's row order)
)
for _column in _ITEM_COLUMNS:
    if _column.name not in items.c:
        items.append_column(_column)
