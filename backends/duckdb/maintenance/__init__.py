"""Layer 3, what changed and how results are kept current: stream change sets, incremental view
maintenance, dynamic-table refresh strategies, partial aggregates, change-log compaction.

Builds SQL over catalog objects and holds no session; imports `sql/` and `catalog/`.
"""
