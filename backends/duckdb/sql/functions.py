"""Which Snowflake functions the emulator runs, by sqlglot expression class.

A function is listed only when its DuckDB translation gives Snowflake's result; each listed
function has a row in tests/conformance/test_functions.py. Anything else (HASH, whose values DuckDB
computes differently, or a function sqlglot does not know) raises NotSupportedError naming it,
instead of running something that would quietly differ.
"""

from __future__ import annotations

import re

from sqlglot import exp

from backends.errors import NotSupportedError

_SUPPORTED_NAMES = """
    Abs ApproxDistinct ArgMax ArgMin Array ArrayAgg ArrayConcat ArrayConstructCompact ArraySize Ascii Avg Case
    Cast Ceil Chr Coalesce Concat
    ConcatWs Contains ConvertTimezone Count CountIf CumeDist CurrentDatabase CurrentDate CurrentRole
    CurrentSchema CurrentTime CurrentTimestamp CurrentUser CurrentVersion CurrentWarehouse DateAdd DateDiff
    DateFromParts DateTrunc Day
    DayOfMonth DayOfWeek DayOfWeekIso DayOfYear Dayname DecodeCase DenseRank EndsWith EqualNull Exp
    Explode Extract FirstValue Floor Generator GetExtract Greatest GroupConcat Hour If Initcap IsNullValue
    JSONExtract JSONExtractScalar JSONObject Lag LastDay LastValue Lead Least Left Length Ln Localtime Log
    LogicalAnd LogicalOr Lower MD5 Max Median Min Minute Mod Month Monthname NthValue ObjectAgg Ntile Nullif Nvl2
    Pad ParseJSON PercentRank PercentileCont PercentileDisc Pow Quarter Rand Rank RegexpExtract RegexpLike
    RegexpReplace Repeat Replace Reverse Right Round RowNumber SHA SHA2 Second Seq1 Seq2 Seq4 Seq8 Sign
    Split SplitPart Sqrt StartsWith Stddev StddevPop StddevSamp StrPosition StrToDate StrToTime Struct Substring
    Sum TimeStrToTime TimeToStr TimestampFromParts TimestampTrunc ToChar ToDouble ToNumber ToVariant Trim Typeof
    Trunc TryCast TsOrDsToDate Uniform Unhex UnixToTime Upper Uuid Variance VariancePop Year
"""

SUPPORTED: frozenset[type[exp.Expression]] = frozenset(getattr(exp, name) for name in _SUPPORTED_NAMES.split())

#: TO_TIMESTAMP* calls sqlglot leaves unparsed, by name: (gives TIMESTAMP_NTZ, is a TRY_ form); translate.py.
TIMESTAMP_FUNCTIONS = {
    f"{prefix}TO_TIMESTAMP{suffix}": (suffix in ("", "_NTZ"), prefix == "TRY_")
    for prefix in ("", "TRY_") for suffix in ("", "_NTZ", "_LTZ", "_TZ")
}
#: TO_DATE calls sqlglot leaves unparsed (on an argument it rewrote first), by name: is a TRY_ form.
DATE_FUNCTIONS = {"TO_DATE": False, "TRY_TO_DATE": True, "DATE": False}

#: Functions sqlglot does not model that the emulator implements itself (compile/resolve.py, translate.py).
EMULATED_ANONYMOUS = frozenset({"SYSTEM$STREAM_HAS_DATA", "SYSTEM$STREAM_GET_TABLE_TIMESTAMP", "HAVERSINE",
                                *TIMESTAMP_FUNCTIONS, *DATE_FUNCTIONS})


#: Snowflake's spelling where sqlglot's class name would mislead.
_DISPLAY_NAMES = {"StarMap": "OBJECT_CONSTRUCT(*)"}


def function_name(node: exp.Func, sql: str | None = None) -> str:
    """The function's name as the statement spells it (sqlglot keeps its offsets), else Snowflake's."""
    if type(node).__name__ in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[type(node).__name__]
    start, end = node.meta.get("start"), node.meta.get("end")
    if sql is not None and start is not None and end is not None:
        written = re.match(r"([A-Za-z_][\w$]*)\s*\(", sql[start:])
        if written and start + written.end(1) == end + 1:
            return written.group(1).upper()
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    return type(node).sql_names()[0] if type(node).sql_names() else type(node).__name__.upper()


def check_supported(ast: exp.Expression, *, sql: str | None = None) -> None:
    """Raise NotSupportedError for the first function the emulator cannot run faithfully."""
    for node in ast.find_all(exp.Func):
        kind = type(node)
        if kind is exp.Anonymous:
            # A qualified call (INFORMATION_SCHEMA.F(...)) is a table function; compile/table_functions.py checks those.
            if function_name(node) in EMULATED_ANONYMOUS or isinstance(node.parent, exp.Dot):
                continue
        elif kind in SUPPORTED or not _is_function_call(node):
            continue
        raise NotSupportedError(f"the function {function_name(node, sql)}", query=sql)


# sqlglot models a few operators and clauses as Func subclasses; they are not function calls.
_NOT_CALLS = tuple(
    getattr(exp, name)
    for name in "Connector Exists Kwarg Bracket Dot Distinct Filter Window WithinGroup Collate Interval Tuple".split()
    if hasattr(exp, name)
)


def _is_function_call(node: exp.Func) -> bool:
    return not isinstance(node, _NOT_CALLS)
