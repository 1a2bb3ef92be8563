"""Synthetic source workloads: seeded generators of the changes a pipeline's source receives."""
