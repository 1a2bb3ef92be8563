"""DML: INSERT, UPDATE, DELETE, TRUNCATE and MERGE become `SqlPlan`s of DuckDB statements.

DML on a tracked table gains the steps that log its row images (catalog/tracking.py): in the same
statement through a data-modifying CTE, or, for MERGE, as steps the session drives one by one.
"""

from __future__ import annotations

import re

from sqlglot import exp

from backends.duckdb.catalog import tracking
from backends.duckdb.catalog.objects import Table
from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.plans import MergePlan, Plan, ResultKind, SqlPlan, status_plan
from backends.duckdb.compile.queries import finish
from backends.duckdb.compile.resolve import Resolver, point_at
from backends.duckdb.compile.steps import Step
from backends.duckdb.maintenance.refresh import DynamicTable
from backends.duckdb.sql import translate
from backends.duckdb.sql.names import internal_name, normalize, quote
from backends.errors import NotSupportedError, compilation_error


def lookup_table(resolver: Resolver, node: exp.Table, action: str) -> Table:
    obj = resolver.lookup(node, action=action)
    if isinstance(obj, DynamicTable):
        raise compilation_error(
            f"Cannot {action} dynamic table '{obj.name}': its content is maintained by its refreshes.",
            errno=2212,
            query=resolver.sql,
        )
    if not isinstance(obj, Table):
        raise compilation_error(
            f"'{obj.name}' is a {obj.kind.lower()}; {action} needs a table.", errno=2003, query=resolver.sql
        )
    return obj


def target_alias(node: exp.Table, table: Table) -> str:
    return node.alias_or_name if node.alias else table.name.name


def set_target(node: exp.Table, table: Table, *, alias: bool = True) -> None:
    """Point a DML target at the table's data (its hidden-row-id twin when tracked)."""
    name = target_alias(node, table)
    if table.tracking is not None:
        point_at(node, table.name, internal_name("rows", table.uid))
        if alias:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(name, quoted=True)))
    else:
        point_at(node, table.name)


def translate_dml(
    ast: exp.Expression, sql: str, resolver: Resolver, target: exp.Table, table: Table, *, alias: bool = True
):
    """Translate a DML statement: expressions, the relations it reads, its target's data, its binds."""
    unqualify_assignments(ast)
    translate.transform_expressions(ast, sql=sql)
    bindings = resolver.rewrite(ast, skip=(target,))
    set_target(target, table, alias=alias)
    return bindings, finish(ast, sql)


def unqualify_assignments(ast: exp.Expression) -> None:
    """`SET t.col = ...` names the target's column; DuckDB takes only the bare column name there."""
    for update in [ast] if isinstance(ast, exp.Update) else list(ast.find_all(exp.Update)):
        for assignment in update.expressions:
            if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                assignment.set("this", exp.column(assignment.this.this))


def column_names(table: Table) -> list[str]:
    return [c.name for c in table.columns]


def writable_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.expression is None]


def compile_insert(ast: exp.Insert, sql: str, session: SessionLike) -> SqlPlan:
    if ast.args.get("kind") or isinstance(ast, exp.MultitableInserts):
        raise NotSupportedError("multi-table INSERT (INSERT ALL / INSERT FIRST)", query=sql)
    resolver = Resolver(session.catalog, session.context, sql)
    target = ast.this
    table_node = target.this if isinstance(target, exp.Schema) else target
    table = lookup_table(resolver, table_node, "INSERT")
    if not isinstance(target, exp.Schema) and table.tracking is not None:
        columns = [exp.to_identifier(c, quoted=True) for c in writable_columns(table)]
        ast.set("this", exp.Schema(this=table_node, expressions=columns))
    overwrite = bool(ast.args.get("overwrite"))
    ast.set("overwrite", None)
    values = ast.expression
    one_row = isinstance(values, exp.Values) and len(values.expressions) == 1 and not overwrite
    bulk_ast = ast.copy() if one_row else None
    bindings, insert_sql = translate_dml(ast, sql, resolver, table_node, table, alias=False)
    plan = _insert_plan(session, table, insert_sql, bindings, overwrite=overwrite)
    if isinstance(values, exp.Values):
        plan.reads_clock = _values_read_clock(plan, table)
    if bulk_ast is not None and bulk_ast.find(exp.Placeholder):
        row = bulk_ast.expression.expressions[0]
        select = exp.Select(expressions=[e.copy() for e in row.expressions]).from_(exp.Var(this=BOUND_ROWS))
        bulk_ast.set("expression", select)
        bulk_target = bulk_ast.this.this if isinstance(bulk_ast.this, exp.Schema) else bulk_ast.this
        bulk_bindings, bulk_sql = translate_dml(bulk_ast, sql, resolver, bulk_target, table, alias=False)
        plan.bulk = _insert_plan(session, table, bulk_sql, bulk_bindings, overwrite=False, bound_rows=BOUND_ROWS)
        plan.bulk.reads_clock = _values_read_clock(plan.bulk, table)
    return plan


def _values_read_clock(plan: SqlPlan, table: Table) -> bool:
    """An INSERT ... VALUES reads the clock only through its own expressions or the table's column defaults."""
    defaults = any(c.expression or (c.default and not c.default.endswith(".NEXTVAL")) for c in table.columns)
    return defaults or any(translate.NOW_VARIABLE in step.template.text for step in plan.steps)


#: The DuckDB relation executemany registers its parameter sets as (columns c0, c1, ...).
BOUND_ROWS = '"__snowsim_bound_rows"'


def _insert_plan(session: SessionLike, table: Table, insert_sql: str, bindings, *, overwrite: bool,
                 bound_rows: str | None = None) -> SqlPlan:
    steps: list[Step] = []
    if overwrite:
        steps.append(Step(delete_all_sql(table)))
    if table.tracking is not None:
        steps.append(
            Step(tracking.capture(table, insert_sql, tracking.INSERT, column_names(table)), bound_rows=bound_rows)
        )
    else:
        steps.append(Step(insert_sql, bound_rows=bound_rows))
    return SqlPlan(
        session.catalog.version, steps=steps, bindings=bindings, result=ResultKind.INSERT, consumes=True,
        writes=[table] if table.tracking else [], check=Step(insert_sql, bound_rows=bound_rows),
    )


def delete_all_sql(table: Table) -> str:
    if table.tracking is None:
        return f"DELETE FROM {table.name.duck}"
    return tracking.capture(table, f"DELETE FROM {table.tracking.rows}", tracking.DELETE, column_names(table))


def compile_update(ast: exp.Update, sql: str, session: SessionLike) -> SqlPlan:
    resolver = Resolver(session.catalog, session.context, sql)
    target = ast.this
    table = lookup_table(resolver, target, "UPDATE")
    alias = quote(target_alias(target, table))
    bindings, update_sql = translate_dml(ast, sql, resolver, target, table)
    from_sql = _fragment(ast.args.get("from_"), "FROM ")
    where_sql = _fragment(ast.args.get("where"), "WHERE ")
    data = table.tracking.rows if table.tracking else table.name.duck
    multi_join = None
    if from_sql:
        row = f'{alias}.{quote(tracking.ROW_ID)}' if table.tracking else f"{alias}.rowid"
        multi_join = Step(
            f"SELECT count(*) FROM (SELECT {row} FROM {data} AS {alias}, {from_sql}"
            + (f" WHERE {where_sql}" if where_sql else "")
            + " GROUP BY 1 HAVING count(*) > 1)"
        )
    steps: list[Step]
    if table.tracking is not None:
        columns = column_names(table)
        steps = [
            Step(tracking.before_images(table, data, alias, from_sql, where_sql, columns)),
            Step(tracking.capture(table, update_sql, tracking.UPDATE_AFTER, columns)),
        ]
    else:
        steps = [Step(update_sql)]
    return SqlPlan(
        session.catalog.version, steps=steps, bindings=bindings, result=ResultKind.UPDATE, consumes=True,
        writes=[table] if table.tracking else [], check=Step(update_sql), multi_join_count=multi_join,
    )


def _fragment(node: exp.Expression | None, keyword: str) -> str:
    if node is None:
        return ""
    text = translate.generate(node)
    return text[len(keyword):] if text.upper().startswith(keyword) else text


def compile_delete(ast: exp.Delete, sql: str, session: SessionLike) -> SqlPlan:
    resolver = Resolver(session.catalog, session.context, sql)
    target = ast.this
    table = lookup_table(resolver, target, "DELETE")
    bindings, delete_sql = translate_dml(ast, sql, resolver, target, table)
    step = Step(
        tracking.capture(table, delete_sql, tracking.DELETE, column_names(table)) if table.tracking else delete_sql
    )
    return SqlPlan(
        session.catalog.version, steps=[step], bindings=bindings, result=ResultKind.DELETE, consumes=True,
        writes=[table] if table.tracking else [], check=Step(delete_sql),
    )


def compile_truncate(ast: exp.TruncateTable, sql: str, session: SessionLike) -> Plan:
    resolver = Resolver(session.catalog, session.context, sql)
    if len(ast.expressions) != 1:
        raise NotSupportedError("TRUNCATE of several tables", query=sql)
    node = ast.expressions[0]
    name = resolver.table_name(node, action="TRUNCATE")
    table = session.catalog.get(name)
    if table is None and ast.args.get("exists"):
        return status_plan(session, "Statement executed successfully.")
    table = lookup_table(resolver, node, "TRUNCATE")
    step = Step(delete_all_sql(table))
    return SqlPlan(
        session.catalog.version, steps=[step], result=ResultKind.TRUNCATE, writes=[table] if table.tracking else [],
        effects=[table.loaded_files.clear],  # TRUNCATE deletes the table's load metadata (R50)
    )


#: MERGE's `UPDATE ALL BY NAME` / `INSERT ALL BY NAME`, which sqlglot does not parse: a placeholder clause
#: stands in for them until the target's columns are known (compile_merge).
_BY_NAME = re.compile(r"\b(UPDATE|INSERT)\s+ALL\s+BY\s+NAME\b", re.I)
BY_NAME_COLUMN = "__SNOWSIM_BY_NAME"


def merge_by_name_placeholders(sql: str) -> str:
    """The MERGE text with its ALL BY NAME clauses as placeholders sqlglot parses."""
    return _BY_NAME.sub(lambda m: f"UPDATE SET {BY_NAME_COLUMN} = 1" if m[1].upper() == "UPDATE"
                        else f"INSERT ({BY_NAME_COLUMN}) VALUES (1)", sql)


def _expand_by_name(when: exp.When, table: Table, source: str) -> None:
    """UPDATE / INSERT ALL BY NAME: every target column from the source's column of the same name.

    https://docs.snowflake.com/en/sql-reference/sql/merge (the source has the target's columns, in any order)
    """
    then = when.args["then"]
    columns = writable_columns(table)
    if isinstance(then, exp.Update) and [e.this.name for e in then.expressions] == [BY_NAME_COLUMN]:
        then.set("expressions", [exp.EQ(this=exp.column(c, quoted=True), expression=exp.column(c, source, quoted=True))
                                 for c in columns])
    elif (isinstance(then, exp.Insert) and isinstance(then.this, exp.Tuple)
          and [e.name for e in then.this.expressions] == [BY_NAME_COLUMN]):
        then.set("this", exp.Tuple(expressions=[exp.column(c, quoted=True) for c in columns]))
        then.set("expression", exp.Tuple(expressions=[exp.column(c, source, quoted=True) for c in columns]))


def compile_merge(ast: exp.Merge, sql: str, session: SessionLike) -> SqlPlan:
    resolver = Resolver(session.catalog, session.context, sql)
    target = ast.this
    table = lookup_table(resolver, target, "MERGE")
    alias = quote(target_alias(target, table))
    using = ast.args["using"]
    source = using.alias_or_name
    for when in ast.args["whens"].expressions:
        _expand_by_name(when, table, source)
    kinds: list[str] = []
    unconditional: set[bool] = set()  # matched / not matched kinds that already had a clause without AND
    for when in ast.args["whens"].expressions:
        matched = bool(when.args.get("matched"))
        if matched in unconditional:  # DuckDB refuses it; Snowflake's documentation does not say what it does
            raise NotSupportedError(
                f"a WHEN {'' if matched else 'NOT '}MATCHED clause after one without AND", query=sql
            )
        if when.args.get("condition") is None:
            unconditional.add(matched)
        then = when.args["then"]
        kind = "INSERT" if isinstance(then, exp.Insert) else "UPDATE" if isinstance(then, exp.Update) else "DELETE"
        if kind not in kinds:
            kinds.append(kind)
        if kind == "INSERT" and table.tracking is not None and not isinstance(then.this, exp.Tuple):
            then.set("this", exp.Tuple(expressions=[exp.column(c, quoted=True) for c in writable_columns(table)]))
    bindings, merge_sql = translate_dml(ast, sql, resolver, target, table)
    order = [k for k in ("INSERT", "UPDATE", "DELETE") if k in kinds]
    plan = MergePlan(
        session.catalog.version, steps=[], bindings=bindings, result=ResultKind.MERGE, consumes=True,
        writes=[table] if table.tracking else [], check=Step(merge_sql), clause_kinds=order,
    )
    if table.tracking is not None:
        plan.table = table
        plan.pairs, plan.duplicate_check, plan.clause_steps = _tracked_merge_steps(ast, sql, table, alias)
        return plan
    matched = [when for when in ast.args["whens"].expressions if when.args.get("matched")]
    if any(isinstance(when.args["then"], exp.Update) for when in matched):
        source = translate.generate(ast.args["using"], sql=sql)
        plan.duplicate_check = Step(_duplicate_match_sql(ast, sql, table, alias, source, matched))
        keys = _source_join_keys(ast.args["on"], target_alias(target, table), ast.args["using"].alias_or_name, sql)
        if keys:
            plan.duplicate_keys = Step(f"SELECT 1 FROM {source} GROUP BY {', '.join(keys)} HAVING COUNT(*) > 1 LIMIT 1")
    plan.merge = Step(merge_sql + " RETURNING merge_action")
    return plan


def _tracked_merge_steps(
    ast: exp.Merge, sql: str, table: Table, alias: str
) -> tuple[Step, Step | None, list[tuple[str | None, Step]]]:
    """A MERGE into a tracked table as plain DuckDB statements that log the row images they write:
    the pairing, the duplicate check on the pairs (if a clause updates), the steps after.

    First every source row is paired with the target row it matches (found by a join that reads
    only the ON columns; the row's image is then fetched by rowid) and with the first WHEN clause
    that applies. Then the before images are logged from the pairs, the rows updated or deleted are
    deleted by rowid, and the updated rows re-inserted (same hidden row id) with the inserted ones.
    DuckDB's own MERGE reads every column of the whole target and updates row by row: several
    times slower on large tables.
    """
    pairs, trow, clause = MergePlan.PAIRS, quote("__snowsim_trow"), quote("__snowsim_clause")
    using = ast.args["using"]
    source = quote(using.alias_or_name)
    rows = table.tracking.rows
    columns = column_names(table)
    old = [quote(tracking.ROW_ID), *(quote(c) for c in columns)]
    images = [quote(f"__snowsim_old{i}") for i in range(len(old))]

    def log_old(i: int, kind: int) -> Step:
        """Log the before images of clause `i`'s target rows (once per row) from the pairs."""
        named = ", ".join(f"{image} AS {name}" for image, name in zip(images, old, strict=True))
        matched = f"(SELECT DISTINCT ON ({trow}) {named} FROM {pairs} WHERE {clause} = {i})"
        return Step(tracking.log_from(table, matched, kind, columns))

    cases, updated, removed, updates = [], [], [], []
    writable = writable_columns(table)
    logs: list[tuple[str | None, Step]] = []
    inserts: list[tuple[str | None, Step]] = []
    for i, when in enumerate(ast.args["whens"].expressions):
        condition = when.args.get("condition")
        test = f"{source}.{trow} IS {'NOT ' if when.args.get('matched') else ''}NULL"
        cases.append(f"WHEN {test}{' AND (' + finish(condition, sql) + ')' if condition is not None else ''} THEN {i}")
        then = when.args["then"]
        if isinstance(then, exp.Update):  # a delete and a re-insert under the same row id: DuckDB updates row by row
            assigned = {_assigned_column(a.this, table, sql): finish(a.expression, sql) for a in then.expressions}
            image = []
            for name in writable:
                if name in assigned:
                    updated.append(
                        f"CASE WHEN {clause} = {i} THEN {assigned[name]} END AS {quote(f'__snowsim_new{i}_{name}')}"
                    )
                image.append(quote(f"__snowsim_new{i}_{name}") if name in assigned else images[old.index(quote(name))])
            logs.append((None, log_old(i, tracking.UPDATE_BEFORE)))
            removed.append(str(i))
            updates.append(str(i))
            inserts.append(("UPDATE", Step(tracking.capture(
                table, f"INSERT INTO {rows} ({', '.join(old[:1] + [quote(c) for c in writable])}) "
                       f"SELECT {', '.join(images[:1] + image)} FROM {pairs} WHERE {clause} = {i}",
                tracking.UPDATE_AFTER, columns))))
        elif isinstance(then, exp.Insert):
            names = ", ".join(finish(c, sql) for c in then.this.expressions)
            values = ", ".join(finish(v, sql) for v in then.expression.expressions)
            inserts.append(("INSERT", Step(tracking.capture(
                table, f"INSERT INTO {rows} ({names}) SELECT {values} FROM {pairs} AS {source} WHERE {source}.{clause} "
                       f"= {i}",
                tracking.INSERT, columns))))
        else:  # DELETE: DuckDB's RETURNING would read every column of the table, so the images come from the pairs
            logs.append(("DELETE", log_old(i, tracking.DELETE)))
            removed.append(str(i))
    paired = (f"SELECT {alias}.rowid AS {trow}, {source}.* FROM {finish(using, sql)} "
              f"LEFT JOIN {rows} AS {alias} ON {finish(ast.args['on'], sql)}")
    olds = ", ".join(f"{alias}.{name} AS {image}" for name, image in zip(old, images, strict=True))
    step = Step(
        f"CREATE OR REPLACE TEMP TABLE {pairs} AS SELECT {source}.*, CASE {' '.join(cases)} END AS {clause}, {olds}"
        f"{''.join(', ' + u for u in updated)} "
        f"FROM ({paired}) AS {source} LEFT JOIN {rows} AS {alias} ON {alias}.rowid = {source}.{trow}"
    )
    # Snowflake's nondeterministic-merge rule (see _duplicate_match_sql), read from the pairs.
    duplicates = Step(
        f"SELECT 1 FROM {pairs} WHERE {trow} IS NOT NULL AND {clause} IS NOT NULL GROUP BY {trow} "
        f"HAVING COUNT(*) > 1 AND BOOL_OR({clause} IN ({', '.join(updates)})) LIMIT 1") if updates else None
    steps = logs  # every before image first: they come from the pairs, the rows go next
    if removed:  # the rows updated (re-inserted below) and deleted, in one pass over the table
        steps.append((None, Step(f"DELETE FROM {rows} WHERE rowid IN (SELECT {trow} FROM {pairs} WHERE {clause} IN "
                                 f"({', '.join(removed)}))")))
    return step, duplicates, steps + inserts


def _assigned_column(node: exp.Expression, table: Table, sql: str) -> str:
    """The writable column a MERGE's `SET col = ...` names."""
    name = normalize(node.this) if isinstance(node, exp.Column) else None
    if name not in writable_columns(table):
        raise compilation_error(f"invalid identifier '{node.sql(dialect='snowflake')}'", errno=904, query=sql)
    return name


def _duplicate_match_sql(
    ast: exp.Merge, sql: str, table: Table, alias: str, source: str, matched: list[exp.When]
) -> str:
    """A query that finds a target row a MERGE could not update deterministically.

    Snowflake refuses a MERGE (ERROR_ON_NONDETERMINISTIC_MERGE, TRUE by default) when a target row
    is selected by several source rows and one of them would UPDATE it; several source rows that
    all DELETE it are fine. DuckDB 2.0.1 silently applies one match, so the emulator looks first.
    https://docs.snowflake.com/en/sql-reference/sql/merge#duplicate-join-behavior
    """
    on = translate.generate(ast.args["on"], sql=sql)
    conditions = [
        "TRUE" if when.args.get("condition") is None else f"({translate.generate(when.args['condition'], sql=sql)})"
        for when in matched
    ]
    # The first clause whose condition holds decides what a source row does to its target row.
    updates = " ".join(
        f"WHEN {condition} THEN {isinstance(when.args['then'], exp.Update)}"
        for condition, when in zip(conditions, matched)
    )
    return (
        f"SELECT 1 FROM {table.duck_rows} AS {alias} JOIN {source} ON {on} WHERE {' OR '.join(conditions)} "
        f"GROUP BY {alias}.rowid HAVING COUNT(*) > 1 AND BOOL_OR(CASE {updates} END) LIMIT 1"
    )


def _source_join_keys(on: exp.Expression, target: str, source: str, sql: str) -> list[str] | None:
    """The source side of `ON t.a = s.x AND t.b = s.y`: keys whose uniqueness in the source rules out duplicate matches.

    None when the condition is anything else (the full check then runs).
    """
    def only(side: exp.Expression, alias: str) -> bool:
        columns = list(side.find_all(exp.Column))
        return bool(columns) and all(c.table.upper() == alias.upper() for c in columns)

    keys = []
    for equality in (on.flatten() if isinstance(on, exp.And) else [on]):
        if not isinstance(equality, exp.EQ):
            return None
        left, right = equality.this, equality.expression
        if only(left, target) and only(right, source):
            keys.append(translate.generate(right, sql=sql))
        elif only(right, target) and only(left, source):
            keys.append(translate.generate(left, sql=sql))
        else:
            return None
    return keys
