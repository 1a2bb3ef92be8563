"""Dynamic tables: the scheduler that refreshes them to their target lag, and their statements."""
