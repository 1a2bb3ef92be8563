"""Layer 2, the catalog: the account's objects and what it keeps about them (models, change-tracking
storage, version lineage, the warehouse model and its billing).

Imports only `sql/`.
"""
