"""Layer 4, compilation: a statement's syntax tree becomes a `Plan` (name binding, query and DML
compilation, plans, results, the table-function registry).

Imports layers 1-3.
"""
