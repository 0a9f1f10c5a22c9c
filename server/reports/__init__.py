"""KPIs and reports (issue 9): pure formulas, daily roll-ups, exports and SVG charts."""
