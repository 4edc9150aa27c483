"""Risk early warning (风险预判预警, 四(四)): signals computed on the graph, stored as alerts.

One module per signal — `contagion` (关联风险传导), `cluster` (跨部门失信聚集), `burst` (处罚激增),
`representative_change` (处罚后变更法定代表人) — each a set-based query over the whole graph that
returns `Finding`s with a score and the paths that explain them; `thresholds` reads the tunable
values (thresholds.toml); `scan` runs the signals, keeps alerts across scans and sends the
notices; `alerts` reads them back.
"""
