"""Layer 6, one module (or folder) per Snowflake object kind: its statements, SHOW and DESCRIBE rows,
and scheduler.

Imports layers 1-5, never another object module: what two kinds share moves down a layer.
"""
