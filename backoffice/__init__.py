"""The departments' workbench (部门工作台, /backoffice/{hall}): the cases a department decides, live,
and its decisions on them (take into review, approve, reject, ask for material)."""
