"""Layer 5, metadata: the SHOW and DESCRIBE machinery and the INFORMATION_SCHEMA functions that every
object kind shares.

Imports layers 1-4.
"""
