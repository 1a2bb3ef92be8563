"""Layer 7, sessions: the account, sessions and their transactions, deferred appends, session
commands, and the one table of statement kinds (`dispatch.py`).

Imports layers 1-6.
"""
