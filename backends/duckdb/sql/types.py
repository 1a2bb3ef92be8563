"""Snowflake's column types and their DuckDB storage: one table of type sets for every layer.

Integers of every declared width are NUMBER(38,0) in Snowflake and BIGINT in DuckDB; NUMBER(p,0)
too; VARCHAR(n) keeps its length limit (enforced by a CHECK); VARIANT, OBJECT and ARRAY are stored
as DuckDB JSON. https://docs.snowflake.com/en/sql-reference/intro-summary-data-types
"""

from __future__ import annotations

from sqlglot import exp

from backends.errors import NotSupportedError

MAX_VARCHAR = 16777216
#: UTINYINT is no Snowflake type name, so it never reaches a column definition; in a cast it maps like the rest.
INTEGER_TYPES = {
    exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT,
    exp.DataType.Type.MEDIUMINT, exp.DataType.Type.UTINYINT,
}
STRING_TYPES = {
    exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR,
    exp.DataType.Type.NVARCHAR,
}
JSON_TYPES = {exp.DataType.Type.VARIANT, exp.DataType.Type.OBJECT, exp.DataType.Type.ARRAY, exp.DataType.Type.JSON}
FLOAT_TYPES = {exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE}
UNSUPPORTED_TYPES = {
    exp.DataType.Type.GEOGRAPHY: "the GEOGRAPHY type",
    exp.DataType.Type.GEOMETRY: "the GEOMETRY type",
    exp.DataType.Type.VECTOR: "the VECTOR type",
    exp.DataType.Type.MAP: "structured MAP types",
}


def column_type(datatype: exp.DataType) -> tuple[str, str, int | None]:
    """(Snowflake type as DESCRIBE shows it, DuckDB type, VARCHAR length limit) of a declared type."""
    t = datatype.this
    params = [int(p.this.this) for p in datatype.expressions if isinstance(p.this, exp.Literal)]
    if t in INTEGER_TYPES:
        return "NUMBER(38,0)", "BIGINT", None
    if t == exp.DataType.Type.DECIMAL:
        precision = params[0] if params else 38
        scale = params[1] if len(params) > 1 else 0
        if scale == 0:
            return f"NUMBER({precision},0)", "BIGINT", None
        return f"NUMBER({precision},{scale})", f"DECIMAL({precision},{scale})", None
    if t in FLOAT_TYPES:
        return "FLOAT", "DOUBLE", None
    if t in STRING_TYPES:
        default = 1 if t in (exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR) else MAX_VARCHAR
        length = params[0] if params else default
        return f"VARCHAR({length})", "VARCHAR", (length if length < MAX_VARCHAR else None)
    simple = {
        exp.DataType.Type.BOOLEAN: ("BOOLEAN", "BOOLEAN"),
        exp.DataType.Type.DATE: ("DATE", "DATE"),
        exp.DataType.Type.TIME: ("TIME(9)", "TIME"),
        exp.DataType.Type.TIMESTAMP: ("TIMESTAMP_NTZ(9)", "TIMESTAMP"),
        exp.DataType.Type.TIMESTAMPNTZ: ("TIMESTAMP_NTZ(9)", "TIMESTAMP"),
        exp.DataType.Type.DATETIME: ("TIMESTAMP_NTZ(9)", "TIMESTAMP"),
        exp.DataType.Type.TIMESTAMPLTZ: ("TIMESTAMP_LTZ(9)", "TIMESTAMPTZ"),
        exp.DataType.Type.TIMESTAMPTZ: ("TIMESTAMP_TZ(9)", "TIMESTAMPTZ"),
        exp.DataType.Type.VARIANT: ("VARIANT", "JSON"),
        exp.DataType.Type.OBJECT: ("OBJECT", "JSON"),
        exp.DataType.Type.ARRAY: ("ARRAY", "JSON"),
        exp.DataType.Type.BINARY: ("BINARY(8388608)", "BLOB"),
        exp.DataType.Type.VARBINARY: ("BINARY(8388608)", "BLOB"),
    }
    if t in simple:
        return (*simple[t], None)
    raise NotSupportedError(f"the column type {datatype.sql(dialect='snowflake')}")


def snowflake_type(duck_type: str) -> str:
    """The Snowflake type DESCRIBE shows for a column DuckDB derived (CTAS, views)."""
    t = duck_type.upper()
    if t in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"):
        return "NUMBER(38,0)"
    if t.startswith("DECIMAL"):
        return "NUMBER" + t[len("DECIMAL"):].replace(" ", "")
    return {
        "DOUBLE": "FLOAT", "FLOAT": "FLOAT", "VARCHAR": f"VARCHAR({MAX_VARCHAR})", "BOOLEAN": "BOOLEAN",
        "DATE": "DATE", "TIME": "TIME(9)", "TIMESTAMP": "TIMESTAMP_NTZ(9)",
        "TIMESTAMP WITH TIME ZONE": "TIMESTAMP_LTZ(9)", "JSON": "VARIANT", "BLOB": "BINARY(8388608)",
    }.get(t, "VARIANT")
