"""Shared test configuration: pytester runs the README's example as a user would."""

pytest_plugins = ["pytester"]
