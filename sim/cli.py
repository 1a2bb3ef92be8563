"""Command line: `python -m sim <command>`.

    sql FILE      run a Snowflake SQL script on the embedded DuckDB emulator and print each result
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="snowsim: run Snowflake CDC pipelines offline on an embedded DuckDB emulator.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sql = commands.add_parser(
        "sql",
        help="run a Snowflake SQL script on the emulator and print each result",
        description=(
            "Run every statement of FILE, in order, on a fresh in-memory emulated Snowflake account "
            "(database SNOWSIM, schema PUBLIC) and print each result as a table. Stops at the first "
            "error, naming the file and line."
        ),
    )
    sql.add_argument("file", type=Path, help="the SQL script (statements separated by semicolons)")
    sql.add_argument("--start", default=None, help="the virtual clock's start, ISO-8601 (default 2025-01-06T00:00:00Z)")
    sql.add_argument("--timezone", default="America/Los_Angeles", help="session TIMEZONE (Snowflake's default)")
    sql.add_argument("--max-rows", type=int, default=20, help="rows printed per result (default 20)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sql":
        return run_sql(args, Console(), Console(stderr=True, soft_wrap=True))
    return 2  # pragma: no cover - argparse requires a command


def run_sql(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from backends import duckdb as local
    from backends.duckdb.scripts import split_with_lines
    from backends.errors import Error

    path: Path = args.file
    try:
        script = path.read_text()
    except OSError as error:
        errors.print(f"[red]{path}: cannot read the script: {error.strerror}[/red]")
        return 2
    conn = local.connect(start=args.start, timezone=args.timezone)
    cursor = conn.cursor()
    for statement, line in split_with_lines(script):
        console.print(f"[bold cyan]{path}:{line}[/bold cyan] [dim]{' '.join(statement.split())[:100]}[/dim]", soft_wrap=True)
        try:
            cursor.execute(statement)
            rows = cursor.fetchmany(args.max_rows + 1)
        except Error as error:
            errors.print(f"[red]{path}:{line}: {error}[/red]")
            conn.close()
            return 1
        console.print(_table(cursor.description, rows, args.max_rows))
    conn.close()
    return 0


def _table(description: Any, rows: list[tuple], limit: int) -> Table:
    table = Table(show_header=True, header_style="bold")
    for column in description or []:
        table.add_column(column.name)
    for row in rows[:limit]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    if len(rows) > limit:
        table.caption = f"first {limit} rows"
    return table


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
