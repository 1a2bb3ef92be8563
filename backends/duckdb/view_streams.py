"""Streams on views (implemented next)."""

from __future__ import annotations

from ..errors import NotSupportedError


def check_view_supports_changes(view, *, query=None):
    raise NotSupportedError("streams ON VIEW", query=query)


def view_changeset_sql(stream):
    raise NotSupportedError("streams ON VIEW")
