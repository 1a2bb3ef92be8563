"""A run's outputs: run.json (every figure), report.md and report.html (self-contained), PNG charts."""
