"""Tasks: schedules, the scheduler that runs them on the virtual clock, and their statements."""
