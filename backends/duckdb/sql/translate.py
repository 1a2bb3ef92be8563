"""Snowflake SQL to DuckDB SQL: parsing, and one small transform per Snowflake behaviour.

sqlglot does most of the dialect work. The transforms here cover where its DuckDB output would
behave differently from Snowflake (VARIANT casts, OBJECT_CONSTRUCT dropping NULLs, 64-bit FLOAT,
CURRENT_TIMESTAMP on the virtual clock, ...), in the order `EXPRESSION_TRANSFORMS` lists them.
Each takes a node and returns it, or its replacement, and is tested on its own.
Functions outside `functions.SUPPORTED` are refused by name rather than translated on trust.
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from backends.duckdb.sql import functions
from backends.duckdb.sql.types import FLOAT_TYPES, INTEGER_TYPES, JSON_TYPES, UNSUPPORTED_TYPES
from backends.errors import NotSupportedError, ProgrammingError, compilation_error

DIALECT = "snowflake"

#: The DuckDB variable holding the virtual clock's now, as TIMESTAMPTZ (set by the session).
NOW_VARIABLE = "SNOWSIM_NOW"


class _CommandFallbackFilter(logging.Filter):
    """sqlglot warns when it falls back to a generic Command; the emulator handles those itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_CommandFallbackFilter())


def parse(sql: str) -> exp.Expression:
    """Exactly one Snowflake statement, or Snowflake's error for zero, several or bad syntax."""
    if "\x00" in sql:
        raise compilation_error("syntax error: the statement contains a NUL character.", errno=1003, query=sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as error:
        raise syntax_error(sql, error) from error
    except TokenError as error:  # e.g. an unterminated string or quoted name
        raise compilation_error("syntax error: the statement has an unterminated "
                                "string, quoted identifier or comment.", errno=1003, query=sql) from error
    except (IndexError, KeyError, TypeError, ValueError, AttributeError) as error:  # sqlglot's parser gave up
        raise compilation_error("syntax error: the statement's arguments do not match any form of its functions "
                                "or clauses.", errno=1003, query=sql) from error
    if not statements:
        raise compilation_error("Empty SQL statement.", errno=900, query=sql)
    if len(statements) > 1:
        raise ProgrammingError(
            f"Actual statement count {len(statements)} did not match the desired statement count 1.",
            errno=8,
            sqlstate="0A000",
            query=sql,
        )
    return statements[0]


def syntax_error(sql: str, error: ParseError) -> ProgrammingError:
    detail = error.errors[0] if error.errors else {}
    line, col = detail.get("line", 1), detail.get("col", 0)
    near = (detail.get("highlight") or "").strip()
    return compilation_error(
        f"syntax error line {line} at position {max(col - len(near), 0)} unexpected '{near}'.", errno=1003, query=sql
    )


def normalize(ast: exp.Expression) -> exp.Expression:
    """Upper-case unquoted identifiers, as Snowflake stores and reports them."""
    return normalize_identifiers(ast, dialect=DIALECT)


def generate(ast: exp.Expression, *, sql: str | None = None) -> str:
    """DuckDB SQL for a translated tree: every identifier quoted, anything untranslatable refused."""
    try:
        return ast.sql(dialect="duckdb", identify=True, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise NotSupportedError("this construct", detail=str(error).strip(), query=sql) from error


# --- helpers -------------------------------------------------------------------------------------


def call(name: str, *args: exp.Expression) -> exp.Anonymous:
    """A DuckDB function call that generates exactly as named."""
    return exp.Anonymous(this=name, expressions=list(args))


def now_expression() -> exp.Expression:
    """The virtual clock's now as TIMESTAMPTZ."""
    return call("getvariable", exp.Literal.string(NOW_VARIABLE))


#: Expressions that always produce a VARIANT in Snowflake.
VARIANT_PRODUCERS = (exp.JSONExtract, exp.ParseJSON, exp.GetExtract, exp.JSONObject)


def _is_variant(node: exp.Expression) -> bool:
    if isinstance(node, VARIANT_PRODUCERS) or node.meta.get("snowsim_variant"):
        return True
    return isinstance(node, exp.Cast) and node.to.this in JSON_TYPES


def _is_plain_scalar(node: exp.Expression) -> bool:
    """Literals and casts to non-VARIANT types can never hold a VARIANT."""
    if isinstance(node, (exp.Literal, exp.Boolean, exp.Null)):
        return True
    return isinstance(node, exp.Cast) and node.to.this not in JSON_TYPES


def _variant_text(node: exp.Expression) -> exp.Expression:
    """A VARIANT's value as text: a string without its JSON quotes, anything else as its JSON."""
    return call("json_extract_string", node, exp.Literal.string("$"))


def _variant(node: exp.Expression) -> exp.Expression:
    node.meta["snowsim_variant"] = True
    return node


def _when_variant(value: exp.Expression, variant: exp.Expression, other: exp.Expression) -> exp.Expression:
    """`variant` if `value` is JSON-typed in DuckDB, else `other`; DuckDB folds the test when binding."""
    is_json = exp.EQ(this=call("typeof", value.copy()), expression=exp.Literal.string("JSON"))
    return exp.Case(ifs=[exp.If(this=is_json, true=variant)], default=other)


# --- transforms ----------------------------------------------------------------------------------


def duckdb_types(node: exp.Expression) -> exp.Expression:
    """Snowflake types as DuckDB types with the same range: FLOAT is 64-bit, INT is NUMBER(38,0).

    Integer names map to DECIMAL(38,0) in expressions so casts round as Snowflake does; DDL maps
    integer columns to BIGINT separately (sql/types.py column_type).
    """
    if not isinstance(node, exp.DataType):
        return node
    t = node.this
    if t in UNSUPPORTED_TYPES:
        raise NotSupportedError(UNSUPPORTED_TYPES[t])
    if t in JSON_TYPES:
        return exp.DataType.build("JSON")
    if t in INTEGER_TYPES:
        return exp.DataType.build("DECIMAL(38, 0)")
    if t in FLOAT_TYPES:
        return exp.DataType.build("DOUBLE")
    if t in (exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR, exp.DataType.Type.NVARCHAR):
        return exp.DataType.build("VARCHAR")
    if t in (exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.DATETIME):
        return exp.DataType.build("TIMESTAMP")
    if t in (exp.DataType.Type.TIMESTAMPLTZ, exp.DataType.Type.TIMESTAMPTZ):
        # TIMESTAMP_TZ keeps the instant, so comparisons and arithmetic match; values come back in
        # the session time zone rather than their original offset (docs/emulator.md).
        return exp.DataType.build("TIMESTAMPTZ")
    return node


def clock_functions(node: exp.Expression) -> exp.Expression:
    """CURRENT_TIMESTAMP() and friends read the virtual clock, never the wall clock.

    SYSDATE() is UTC as TIMESTAMP_NTZ; CURRENT_DATE()/CURRENT_TIME() are in the session time zone.
    https://docs.snowflake.com/en/sql-reference/functions/sysdate
    """
    if isinstance(node, exp.CurrentTimestamp):
        if node.args.get("sysdate"):
            return exp.AtTimeZone(this=now_expression(), zone=exp.Literal.string("UTC"))
        return now_expression()
    if isinstance(node, exp.CurrentDate):
        return exp.cast(now_expression(), "DATE")
    if isinstance(node, (exp.CurrentTime, exp.Localtime)):
        return exp.cast(exp.cast(now_expression(), "TIMESTAMP"), "TIME")
    if isinstance(node, exp.CurrentDatetime):
        return exp.cast(now_expression(), "TIMESTAMP")
    return node


def json_brackets(node: exp.Expression) -> exp.Expression:
    """`v[0]`, `a[i]`, `o['key']` index a VARIANT, ARRAY or OBJECT, which the emulator keeps as DuckDB JSON:
    0-based, as in Snowflake. sqlglot would shift a literal index for DuckDB's 1-based LISTs.

    https://docs.snowflake.com/en/user-guide/querying-semistructured#bracket-notation
    """
    if isinstance(node, exp.Bracket):
        node.set("json_access", True)
    return node


def date_formats(node: exp.Expression) -> exp.Expression:
    """`TO_CHAR(col, 'YYYYMMDD')`: a date or time format formats the value as a date or time, as Snowflake does.

    sqlglot makes that rewrite only when it knows the argument is a date (a literal cast), and refuses
    the format otherwise. A numeric format ('999.00') has no date token and stays refused.
    https://docs.snowflake.com/en/sql-reference/functions/to_char
    """
    if isinstance(node, exp.ToChar) and isinstance(node.args.get("format"), exp.Literal):
        converted = Snowflake().format_time(node.args["format"])
        if converted is not None and "%" in converted.this:
            return exp.TimeToStr(this=node.this, format=converted)
    return node


def variant_casts(node: exp.Expression) -> exp.Expression:
    """Casting a VARIANT reads its value, not its JSON text: `v:name::string` is `hi`, not `"hi"`.

    https://docs.snowflake.com/en/user-guide/querying-semistructured#explicitly-casting-values
    """
    if not isinstance(node, (exp.Cast, exp.TryCast)) or node.meta.get("snowsim_done"):
        return node
    value, target = node.this, node.to
    make = type(node)
    if target.this in JSON_TYPES:
        if _is_variant(value):
            return value
        converted = call("to_json", value)
        result = (
            converted if _is_plain_scalar(value) else _when_variant(value, exp.cast(value.copy(), "JSON"), converted)
        )
        return _variant(result)
    if _is_plain_scalar(value):
        return node
    if isinstance(value, exp.JSONExtract):
        scalar = exp.JSONExtractScalar(this=value.this, expression=value.expression)
        cast = make(this=scalar, to=target)
    elif _is_variant(value):
        cast = make(this=_variant_text(value), to=target)
    else:
        as_json = exp.TryCast(this=value.copy(), to=exp.DataType.build("JSON"))
        from_json = make(this=_variant_text(as_json), to=target.copy())
        from_json.meta["snowsim_done"] = True
        plain = make(this=value, to=target)
        plain.meta["snowsim_done"] = True
        return _when_variant(value, from_json, plain)
    cast.meta["snowsim_done"] = True
    return cast


_NTZ_TYPES = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.DATETIME)
_TZ_TYPES = (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ)


def timestamp_conversions(node: exp.Expression) -> exp.Expression:
    """Casts to timestamps and TO_TIMESTAMP* read text, epoch numbers, dates and VARIANTs as Snowflake does.

    Digits are epoch seconds, milliseconds, ... by magnitude, a number is seconds, '+0900' an offset
    (macros.py); TRY_ forms give NULL where the plain ones raise 'Timestamp ... is not recognized'.
    https://docs.snowflake.com/en/sql-reference/functions/to_timestamp
    """
    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this in _NTZ_TYPES + _TZ_TYPES:
        return _to_timestamp(node.this, ntz=node.to.this in _NTZ_TYPES, safe=isinstance(node, exp.TryCast))
    if isinstance(node, exp.UnixToTime):
        ntz = node.args.get("target_type") is None or node.args["target_type"].this in _NTZ_TYPES
        scale = node.args.get("scale")
        if scale is None:
            return _to_timestamp(node.this, ntz=ntz, safe=False)
        if not (isinstance(scale, exp.Literal) and not scale.is_string and 0 <= int(scale.this) <= 9):
            raise NotSupportedError("TO_TIMESTAMP with a scale that is not a literal from 0 to 9")
        digits = int(scale.this)
        micros = exp.cast(node.this, "HUGEINT")
        micros = exp.Mul(this=micros, expression=exp.Literal.number(10 ** (6 - digits))) if digits <= 6 else (
            exp.IntDiv(this=micros, expression=exp.Literal.number(10 ** (digits - 6))))
        value = call("make_timestamp", exp.cast(micros, "BIGINT"))
        return value if ntz else exp.AtTimeZone(this=value, zone=exp.Literal.string("UTC"))
    name = str(node.this).upper() if isinstance(node, exp.Anonymous) else ""
    if name in functions.TIMESTAMP_FUNCTIONS or name in functions.DATE_FUNCTIONS:
        if len(node.expressions) != 1:
            raise NotSupportedError(f"{name} with {len(node.expressions)} arguments")
        if name in functions.DATE_FUNCTIONS:
            return exp.TsOrDsToDate(this=node.expressions[0], safe=functions.DATE_FUNCTIONS[name])
        ntz, safe = functions.TIMESTAMP_FUNCTIONS[name]
        return _to_timestamp(node.expressions[0], ntz=ntz, safe=safe)
    return node


def _to_timestamp(value: exp.Expression, *, ntz: bool, safe: bool) -> exp.Expression:
    name = f"snowsim_{'try' if safe else 'to'}_{'ntz' if ntz else 'tz'}"
    if _is_variant(value):
        return call(name, _variant_text(value))
    if _is_plain_scalar(value):
        return call(name, value)
    as_json = exp.TryCast(this=value.copy(), to=exp.DataType.build("JSON"))
    return _when_variant(value, call(name, _variant_text(as_json)),
                         call(name, value))


def semistructured_functions(node: exp.Expression) -> exp.Expression:
    """ARRAY_SIZE, ARRAY_CAT, ARRAY_CONSTRUCT_COMPACT, SPLIT and OBJECT_AGG on VARIANTs (DuckDB JSON).

    ARRAY_SIZE of a non-array is NULL; ARRAY_CONSTRUCT_COMPACT and OBJECT_AGG leave out NULLs.
    https://docs.snowflake.com/en/sql-reference/functions/array_size
    """
    if isinstance(node, exp.ParseJSON) and not node.meta.get("snowsim_done"):
        # Strict JSON is DuckDB's to parse; the rest goes through Snowflake's leniency (json_text.py).
        text = node.this
        strict = exp.cast(text.copy(), "JSON")
        lenient = exp.cast(call("snowsim_lenient_json", text.copy(), exp.Boolean(this=bool(node.args.get("safe")))),
                           "JSON")
        valid = call("json_valid", text)
        return _variant(exp.Case(ifs=[exp.If(this=valid, true=strict)], default=lenient))
    if isinstance(node, exp.ArraySize):
        is_array = exp.EQ(this=call("json_type", node.this.copy()), expression=exp.Literal.string("ARRAY"))
        return exp.Case(ifs=[exp.If(this=is_array, true=call("json_array_length", node.this))])
    if isinstance(node, exp.ArrayConcat):
        first, second = node.this, node.expressions[0] if len(node.expressions) == 1 else None
        if second is None:
            raise NotSupportedError("ARRAY_CAT with other than two arguments")
        as_list = exp.DataType.build("JSON[]")
        joined = call("list_concat", exp.cast(first, as_list), exp.cast(second, as_list))
        return _variant(call("to_json", joined))
    if isinstance(node, exp.ArrayConstructCompact):
        items = exp.Array(expressions=[call("to_json", e) for e in node.expressions])
        return _variant(call("to_json", call("list_filter", items, exp.Var(this="lambda x: x IS NOT NULL"))))
    if isinstance(node, exp.Split):
        return _variant(call("to_json", call("str_split", node.this, node.expression)))
    if isinstance(node, exp.ObjectAgg):
        present = exp.and_(exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null())),
                           exp.Not(this=exp.Is(this=node.expression.copy(), expression=exp.Null())))
        entries = call("list", call("struct_pack", exp.PropertyEQ(this=exp.to_identifier("k"), expression=node.this),
                                    exp.PropertyEQ(this=exp.to_identifier("v"), expression=node.expression)))
        kept = exp.Filter(this=entries, expression=exp.Where(this=present))
        return _variant(call("to_json", call("map_from_entries", kept)))
    return node


def text_functions(node: exp.Expression) -> exp.Expression:
    """UPPER, LOWER and TRIM read a VARIANT's string and a number's text, as Snowflake casts their argument.

    REGEXP_SUBSTR with the 'e' parameter and no group number extracts group 1 (functions/regexp_substr).
    """
    if isinstance(node, (exp.Upper, exp.Lower, exp.Trim)) and not node.meta.get("snowsim_done"):
        node.meta["snowsim_done"] = True
        value = node.this
        if _is_variant(value):
            node.set("this", _variant_text(value))
        elif not (isinstance(value, exp.Literal) and value.is_string):
            node.set("this", exp.cast(value, "VARCHAR"))
        return node
    if isinstance(node, exp.RegexpExtract):
        parameters, group = node.args.get("parameters"), node.args.get("group")
        if (isinstance(parameters, exp.Literal) and "e" in parameters.this and isinstance(group, exp.Literal)
                and group.this == "0"):
            node.set("group", exp.Literal.number(1))
    return node


_HAVERSINE = sqlglot.parse_one(
    "2 * 6371 * ASIN(SQRT(POW(SIN((RADIANS(:lat2) - RADIANS(:lat1)) / 2), 2) "
    "+ COS(RADIANS(:lat1)) * COS(RADIANS(:lat2)) * POW(SIN((RADIANS(:lon2) - RADIANS(:lon1)) / 2), 2)))",
    read="duckdb",
)


def scalar_functions(node: exp.Expression) -> exp.Expression:
    """TYPEOF, SHA2 beyond 256 bits and HAVERSINE, which DuckDB has not (or not with Snowflake's results)."""
    if isinstance(node, exp.Typeof):
        return _typeof(node.this)
    if isinstance(node, exp.SHA2):
        return _sha2(node)
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "HAVERSINE":
        return _haversine(*node.expressions)
    return node


def _typeof(value: exp.Expression) -> exp.Expression:
    """TYPEOF of a VARIANT: INTEGER, DECIMAL, DOUBLE (an exponent), VARCHAR, BOOLEAN, ARRAY, OBJECT, NULL_VALUE.

    https://docs.snowflake.com/en/sql-reference/functions/typeof
    """
    if _is_plain_scalar(value):
        raise compilation_error("Invalid argument types for function 'TYPEOF'", errno=1044, sqlstate="42P13")
    kind = call("json_type", value)
    has_exponent = call("regexp_matches", exp.cast(value.copy(), "VARCHAR"), exp.Literal.string("[eE]"))
    number = exp.Case(ifs=[exp.If(this=has_exponent, true=exp.Literal.string("DOUBLE"))],
                      default=exp.Literal.string("DECIMAL"))
    names = {"UBIGINT": "INTEGER", "BIGINT": "INTEGER", "NULL": "NULL_VALUE"}
    ifs = [exp.If(this=exp.EQ(this=kind.copy(), expression=exp.Literal.string(k)), true=exp.Literal.string(v))
           for k, v in names.items()]
    ifs.append(exp.If(this=exp.EQ(this=kind.copy(), expression=exp.Literal.string("DOUBLE")), true=number))
    return exp.Case(ifs=ifs, default=kind)


def _sha2(node: exp.SHA2) -> exp.Expression:
    """SHA2 with 224, 384 or 512 bits (a Python function; DuckDB has only SHA-256)."""
    length = node.args.get("length")
    if isinstance(length, exp.Literal) and length.this not in ("224", "256", "384", "512"):
        raise compilation_error(f"Invalid digest size {length.this} for SHA2: it is one of 224, 256, 384, 512",
                                errno=1044, sqlstate="42P13")
    if isinstance(length, exp.Literal) and length.this != "256":
        return call("snowsim_sha2", exp.cast(node.this, "VARCHAR"), length)
    return node


def _haversine(*args: exp.Expression) -> exp.Expression:
    """Great-circle distance in kilometres on a sphere of radius 6371 km (functions/haversine)."""
    if len(args) != 4:
        raise NotSupportedError(f"HAVERSINE with {len(args)} arguments")
    names = dict(zip(("lat1", "lon1", "lat2", "lon2"), args, strict=True))
    return exp.replace_placeholders(_HAVERSINE.copy(), **names)


def semistructured_constructors(node: exp.Expression) -> exp.Expression:
    """OBJECT_CONSTRUCT, ARRAY_CONSTRUCT and ARRAY_AGG build VARIANTs (DuckDB JSON), not STRUCTs or LISTs.

    OBJECT_CONSTRUCT omits pairs whose key or value is NULL; OBJECT_CONSTRUCT_KEEP_NULL keeps NULL values.
    https://docs.snowflake.com/en/sql-reference/functions/object_construct
    """
    if isinstance(node, exp.StarMap):
        raise NotSupportedError("OBJECT_CONSTRUCT(*)")
    if isinstance(node, exp.Struct):
        pairs: list[exp.Expression] = []
        for item in node.expressions:
            if not isinstance(item, exp.PropertyEQ):
                raise NotSupportedError("OBJECT_CONSTRUCT with this argument shape")
            if isinstance(item.this, exp.Null):  # a NULL key leaves the pair out, as a NULL value does
                continue
            pairs += [_json_key(item.this), item.expression]
        return _variant(call("json_merge_patch", exp.Literal.string("{}"), call("json_object", *pairs)))
    if isinstance(node, exp.JSONObject) and not node.meta.get("snowsim_done"):
        pairs = []
        for item in node.expressions:
            if isinstance(item.this, exp.Null):  # OBJECT_CONSTRUCT_KEEP_NULL keeps NULL values, not NULL keys
                continue
            pairs += [_json_key(item.this), item.expression]
        return _variant(call("json_object", *pairs))
    if isinstance(node, exp.Array):
        return _variant(call("json_array", *node.expressions))
    if isinstance(node, exp.ArrayAgg) and not node.meta.get("snowsim_done"):
        node.meta["snowsim_done"] = True
        return _variant(call("to_json", node))
    if isinstance(node, exp.WithinGroup) and _json_of_array_agg(node.this):
        # ARRAY_AGG(x) WITHIN GROUP (ORDER BY y): DuckDB takes the order inside the call.
        aggregate = node.this.expressions[0]
        aggregate.set("this", exp.Order(this=aggregate.this, expressions=node.expression.expressions))
        return node.this
    if isinstance(node, exp.Window) and _json_of_array_agg(node.this):
        # ARRAY_AGG(...) OVER (...): the window applies to the aggregate, the JSON conversion to its result.
        converted = node.this
        node.set("this", converted.expressions[0])
        converted.set("expressions", [node])
        return converted
    return node


def _json_of_array_agg(node: exp.Expression) -> bool:
    return (isinstance(node, exp.Anonymous) and node.name == "to_json" and len(node.expressions) == 1
            and isinstance(node.expressions[0], exp.ArrayAgg))


def _json_key(key: exp.Expression) -> exp.Expression:
    if isinstance(key, exp.Identifier):
        return exp.Literal.string(key.this)
    return key


_DATE_PARTS = {"YEAR", "YEARS", "Y", "YY", "YYYY", "QUARTER", "Q", "MONTH", "MONTHS", "MM", "MON", "WEEK", "W", "WK",
               "DAY", "DAYS", "D", "DD"}


def date_functions(node: exp.Expression) -> exp.Expression:
    """DATEADD by a date part and DATE_TRUNC keep a DATE argument a DATE; by a time part a DATE or a string
    becomes a TIMESTAMP_NTZ (macros.py)."""
    if isinstance(node, exp.DateAdd) and not node.meta.get("snowsim_done"):
        unit = (node.text("unit") or "DAY").upper()
        amount = node.expression
        if _is_variant(amount):  # DATEADD(day, v:n, ...): the VARIANT's number
            amount = exp.cast(_variant_text(amount), "BIGINT")
        interval = exp.Interval(this=amount, unit=exp.var(unit))
        macro = "snowsim_add_date_part" if unit in _DATE_PARTS else "snowsim_add_time_part"
        return call(macro, node.this, interval)
    if isinstance(node, (exp.DateTrunc, exp.TimestampTrunc)):
        unit = node.args.get("unit")
        part = unit.name if isinstance(unit, (exp.Var, exp.Literal)) else unit.sql() if unit is not None else "DAY"
        return call("snowsim_date_trunc", exp.Literal.string(part.upper()), node.this)
    if isinstance(node, exp.ConvertTimezone) and node.args.get("source_tz") is None:
        # The TIMESTAMP_TZ result is the same instant; like every TIMESTAMP_TZ here it comes back in the
        # session time zone rather than carrying the target's offset (docs/emulator.md).
        return _to_timestamp(node.args["timestamp"], ntz=False, safe=False)
    if isinstance(node, exp.ToVariant):
        return exp.Cast(this=node.this, to=exp.DataType.build("JSON"))
    if isinstance(node, exp.Rand) and node.this is not None:
        raise NotSupportedError("RANDOM with a seed", detail="DuckDB would not reproduce Snowflake's sequence")
    return node


def division_by_zero(node: exp.Expression) -> exp.Expression:
    """Snowflake raises on x / 0 and MOD(x, 0); DuckDB would return NULL."""
    if isinstance(node, (exp.Div, exp.Mod)) and not node.meta.get("snowsim_done"):
        node.meta["snowsim_done"] = True
        divisor = node.expression
        if isinstance(divisor, exp.Literal) and not divisor.is_string and float(divisor.this) != 0:
            return node
        fails = exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0))
        return exp.Case(
            ifs=[exp.If(this=fails, true=call("error", exp.Literal.string("Division by zero")))], default=node
        )
    return node


def values_column_names(node: exp.Expression) -> exp.Expression:
    """`FROM VALUES (...)` names its columns COLUMN1, COLUMN2, ... in Snowflake."""
    if isinstance(node, exp.Values) and node.expressions and isinstance(node.parent, (exp.From, exp.Join)):
        alias = node.args.get("alias")
        if alias is None or not alias.columns:
            width = len(node.expressions[0].expressions) if isinstance(node.expressions[0], exp.Tuple) else 1
            columns = [exp.to_identifier(f"COLUMN{i}", quoted=True) for i in range(1, width + 1)]
            name = alias.this if alias is not None and alias.this else exp.to_identifier("VALUES", quoted=True)
            node.set("alias", exp.TableAlias(this=name, columns=columns))
    return node


def column_qualifiers(node: exp.Expression) -> exp.Expression:
    """`schema.table.col` refers to the table by name; DuckDB names tables by their last part."""
    if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
        node.set("db", None)
        node.set("catalog", None)
    return node


def order_by_all(node: exp.Expression) -> exp.Expression:
    """ORDER BY ALL sorts by every column of the SELECT list, as DuckDB's does; not with aggregates.

    https://docs.snowflake.com/en/sql-reference/constructs/order-by
    """
    if not (
        isinstance(node, exp.Column) and not node.table and node.this.name.upper() == "ALL" and not node.this.quoted
    ):
        return node
    ordered = node.parent
    order = ordered.parent if isinstance(ordered, exp.Ordered) else None
    if not isinstance(order, exp.Order) or len(order.expressions) != 1:
        return node
    select = order.parent
    if isinstance(select, exp.Select) and any(e.find(exp.AggFunc) for e in select.expressions):
        raise compilation_error(
            "ORDER BY ALL cannot be used when the SELECT list has an aggregate function.", errno=1003
        )
    return exp.Var(this="ALL")


EXPRESSION_TRANSFORMS = (
    json_brackets,
    date_formats,
    order_by_all,
    duckdb_types,
    clock_functions,
    date_functions,
    timestamp_conversions,
    variant_casts,
    semistructured_constructors,
    semistructured_functions,
    text_functions,
    scalar_functions,
    division_by_zero,
    values_column_names,
    column_qualifiers,
)


def transform_expressions(ast: exp.Expression, *, sql: str | None = None) -> exp.Expression:
    """Refuse unsupported functions, then rewrite the tree bottom-up, each node through every transform.

    Bottom-up, so a transform sees its children already translated (sqlglot's own `transform`
    does not descend into the nodes it replaces).
    """
    functions.check_supported(ast, sql=sql)
    return _rewrite(ast)


def _rewrite(node: exp.Expression) -> exp.Expression:
    for child in list(node.iter_expressions()):
        _rewrite(child)
    parent, key, index = node.parent, node.arg_key, node.index
    new = node
    for transform in EXPRESSION_TRANSFORMS:
        new = transform(new)
    if new is not node and parent is not None:
        parent.set(key, new, index)
    return new


def expression_sql(node: exp.Expression, sql: str) -> str:
    """A Snowflake expression of a column definition as DuckDB SQL."""
    expression = transform_expressions(node.copy(), sql=sql)
    return generate(expression, sql=sql)
