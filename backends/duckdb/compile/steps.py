"""One DuckDB statement of a plan: its text with slots, and which bind values it takes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from backends.duckdb.sql.template import Template
from backends.errors import ProgrammingError

_PARAM = re.compile(r"^p(\d+)$")


class Step:
    """One DuckDB statement of a plan: its text with slots, and which bind values it takes.

    User binds are slots `p0`, `p1`, ... (their position in the statement); a step renumbers the
    ones it uses as DuckDB's `$1`, `$2`, ... once, when it is built.
    """

    __slots__ = ("template", "param_order", "_binds")

    def __init__(self, text: str, *, bound_rows: str | None = None) -> None:
        template = Template(text)
        order: list[int] = []
        for name in template.slots:
            match = _PARAM.match(name)
            if match and int(match.group(1)) not in order:
                order.append(int(match.group(1)))
        self.template = template
        if bound_rows is not None:  # binds are columns of an Arrow relation, one row per parameter set
            self.param_order: list[int] = []
            self._binds = {f"p{index}": f'{bound_rows}."c{index}"' for index in order}
            return
        self.param_order = order
        self._binds = {f"p{index}": f"${position}" for position, index in enumerate(order, start=1)}

    def render(self, values: dict[str, object]) -> str:
        """The DuckDB text with the statement's slot values and its binds' markers filled in."""
        if not self.template.slots:
            return self.template.text
        return self.template.render({**values, **self._binds} if self._binds else values)

    def args(self, params: Sequence[Any]) -> list[Any] | None:
        if not self.param_order:
            return None
        try:
            return [params[i] for i in self.param_order]
        except IndexError:
            raise ProgrammingError(
                f"the statement needs {max(self.param_order) + 1} bind values but {len(params)} were given",
                errno=252004,
            ) from None
