"""Snowflake functions: one row per function the emulator supports, expression -> Snowflake's value.

Each row runs as `SELECT <expression>` (aggregates over the values 1, 2, 3 as column X).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from .cases import normalize

VARIANT_OBJECT = '{\n  "a": 1\n}'

SCALARS = [
    # conditionals
    ("IFF(1 > 0, 'yes', 'no')", "yes"),
    ("NVL(NULL, 5)", 5),
    ("IFNULL(NULL, 3)", 3),
    ("NVL2(1, 'a', 'b')", "a"),
    ("COALESCE(NULL, NULL, 3)", 3),
    ("ZEROIFNULL(NULL)", 0),
    ("NULLIF(1, 1)", None),
    ("DECODE(2, 1, 'one', 2, 'two', 'other')", "two"),
    ("EQUAL_NULL(NULL, NULL)", True),
    ("CASE WHEN 1 = 2 THEN 'a' ELSE 'b' END", "b"),
    ("GREATEST(1, 3, 2)", 3),
    ("LEAST(1, 3, 2)", 1),
    ("GREATEST(1, NULL)", None),
    # dates and times
    ("DATEDIFF('day', '2024-01-01'::DATE, '2024-03-01'::DATE)", 60),
    ("DATEDIFF(year, '2023-12-31'::DATE, '2024-01-01'::DATE)", 1),
    ("DATEDIFF(minute, '2024-01-01 10:00'::TIMESTAMP, '2024-01-01 12:30'::TIMESTAMP)", 150),
    ("DATEDIFF(second, '2024-01-01 10:00'::TIMESTAMP, '2024-01-01 10:01:30'::TIMESTAMP)", 90),
    ("DATEADD(hour, 2, '2024-01-01 10:00'::TIMESTAMP)", datetime(2024, 1, 1, 12)),
    ("DATEADD('day', -1, '2024-01-01'::DATE)", date(2023, 12, 31)),
    ("DATEADD(month, 1, '2024-01-31'::DATE)", date(2024, 2, 29)),
    ("TIMESTAMPADD(minute, 5, '2024-01-01 10:00'::TIMESTAMP)", datetime(2024, 1, 1, 10, 5)),
    ("DATE_TRUNC('month', '2024-05-17 10:00'::TIMESTAMP)", datetime(2024, 5, 1)),
    ("DATE_TRUNC(hour, '2024-05-17 10:35'::TIMESTAMP)", datetime(2024, 5, 17, 10)),
    ("DATE_TRUNC('month', '2024-05-17'::DATE)", date(2024, 5, 1)),
    ("TO_TIMESTAMP('2024-01-01 10:00:00')", datetime(2024, 1, 1, 10)),
    ("TO_TIMESTAMP_NTZ('2024-01-01 10:00:00')", datetime(2024, 1, 1, 10)),
    ("TO_TIMESTAMP(1704103200)", datetime(2024, 1, 1, 10)),
    ("TO_TIMESTAMP('2024-01-05', 'YYYY-MM-DD')", datetime(2024, 1, 5)),
    ("TO_DATE('2024-01-05')", date(2024, 1, 5)),
    ("TO_DATE('05/01/2024', 'DD/MM/YYYY')", date(2024, 1, 5)),
    ("TRY_TO_DATE('2024-01-01')", date(2024, 1, 1)),
    ("TRY_TO_DATE('nope')", None),
    ("TRY_TO_TIMESTAMP('2024-01-01 10:00')", datetime(2024, 1, 1, 10)),
    ("TRY_TO_TIMESTAMP('bad')", None),
    ("DATE_TRUNC('hour', '10:35:00'::TIME)", time(10, 0)),
    ("DATEADD(minute, 3, '2023-04-02 01:15:00')", datetime(2023, 4, 2, 1, 18)),
    ("DATEADD(hour, 1, '2024-01-01'::DATE)", datetime(2024, 1, 1, 1)),
    ("DATEADD(minute, PARSE_JSON('{\"n\": 5}'):n, '2024-01-01 10:00'::TIMESTAMP)", datetime(2024, 1, 1, 10, 5)),
    ("DATEDIFF(day, '2024-01-01', '2024-01-05')", 4),
    ("CONVERT_TIMEZONE('America/New_York', '2024-01-01 12:00:00 +00:00'::TIMESTAMP_TZ)",
     datetime(2024, 1, 1, 12, tzinfo=timezone.utc)),
    ("TYPEOF(PARSE_JSON('1'))", "INTEGER"),
    ("TYPEOF(PARSE_JSON('1.5'))", "DECIMAL"),
    ("TYPEOF(PARSE_JSON('[1]'))", "ARRAY"),
    ("TYPEOF(PARSE_JSON('{\"a\": null}'):a)", "NULL_VALUE"),
    ("SHA2('abc', 224)", hashlib.sha224(b"abc").hexdigest()),
    ("SHA2('abc', 512)", hashlib.sha512(b"abc").hexdigest()),
    # semi-structured and text functions
    ("PARSE_JSON('{a: 1, \"b\": TRUE, c: [False, NULL]}')::VARCHAR", '{"a":1,"b":true,"c":[false,null]}'),
    ("TRY_PARSE_JSON('not json')", None),
    ("TRY_PARSE_JSON('{a: 1}'):a::INT", 1),
    ("ARRAY_SIZE(PARSE_JSON('{\"a\": 1}'))", None),
    ("ARRAY_SIZE(ARRAY_CONSTRUCT())", 0),
    ("ARRAY_CAT(ARRAY_CONSTRUCT('a', 'b'), ARRAY_CONSTRUCT('c'))::VARCHAR", '["a","b","c"]'),
    ("ARRAY_CONSTRUCT_COMPACT(1, NULL, 2)::VARCHAR", "[1,2]"),
    ("SPLIT('a,b,c', ',')::VARCHAR", '["a","b","c"]'),
    ("OBJECT_CONSTRUCT('a', 1, NULL, 'no key', 'c', NULL)::VARCHAR", '{"a":1}'),
    ("OBJECT_CONSTRUCT_KEEP_NULL('a', 1, NULL, 'no key', 'c', NULL)::VARCHAR", '{"a":1,"c":null}'),
    ("HEX_DECODE_BINARY('EDF1')", b"\xed\xf1"),
    ("ROUND(HAVERSINE(37.7749, -122.4194, 34.0522, -118.2437), 0)", 559),
    ("TRIM(1)", "1"),
    ("UPPER(PARSE_JSON('{\"fruit\": \"banana\"}'):fruit)", "BANANA"),
    ("REGEXP_SUBSTR('It was the best of times', 'the\\\\W+(\\\\w+)', 1, 1, 'e')", "best"),
    # epoch digits by magnitude, numbers as seconds, scale, offsets (functions/to_timestamp, usage notes)
    ("TO_TIMESTAMP_NTZ('1748179630')", datetime(2025, 5, 25, 13, 27, 10)),
    ("TO_TIMESTAMP('1748179630122')", datetime(2025, 5, 25, 13, 27, 10, 122000)),
    ("'1748179630212333'::TIMESTAMP", datetime(2025, 5, 25, 13, 27, 10, 212333)),
    ("TO_TIMESTAMP(1748179630122, 3)", datetime(2025, 5, 25, 13, 27, 10, 122000)),
    ("TO_TIMESTAMP_NTZ(1748179630212333, 6)", datetime(2025, 5, 25, 13, 27, 10, 212333)),
    ("TO_TIMESTAMP(1748179630.5)", datetime(2025, 5, 25, 13, 27, 10, 500000)),
    ("PARSE_JSON('{\"ts\": 1748179630}'):ts::TIMESTAMP_NTZ", datetime(2025, 5, 25, 13, 27, 10)),
    ("TO_TIMESTAMP_NTZ(PARSE_JSON('{\"ts\": \"2024-01-01 10:00\"}'):ts)", datetime(2024, 1, 1, 10)),
    ("TO_TIMESTAMP_NTZ('2026-01-01 10:00:00 +09:00')", datetime(2026, 1, 1, 10)),
    ("'2026-01-01 10:00:00 +0900'::TIMESTAMP_TZ", datetime(2026, 1, 1, 10, tzinfo=timezone(timedelta(hours=9)))),
    ("TO_TIMESTAMP_TZ('2026-01-01T10:00:00-07:00')", datetime(2026, 1, 1, 17, tzinfo=timezone.utc)),
    ("TO_TIMESTAMP_LTZ(0)", datetime(1970, 1, 1, tzinfo=timezone.utc)),
    ("TO_DATE(TO_TIMESTAMP(0))", date(1970, 1, 1)),
    ("TRY_CAST('later' AS TIMESTAMP_LTZ)", None),
    ("HOUR('2024-01-01 13:45'::TIMESTAMP)", 13),
    ("MINUTE('2024-01-01 13:45'::TIMESTAMP)", 45),
    ("DAYOFWEEK('2024-01-07'::DATE)", 0),
    ("DAYOFWEEKISO('2024-01-07'::DATE)", 7),
    ("DAYNAME('2024-01-07'::DATE)", "Sun"),
    ("MONTHNAME('2024-01-07'::DATE)", "Jan"),
    ("YEAR('2024-01-07'::DATE)", 2024),
    ("DAY('2024-05-17'::DATE)", 17),
    ("DAYOFMONTH('2024-05-17 10:00'::TIMESTAMP)", 17),
    ("MONTH('2024-01-07'::DATE)", 1),
    ("DAYOFMONTH('2024-01-07'::DATE)", 7),
    ("QUARTER('2024-05-07'::DATE)", 2),
    ("DAYOFYEAR('2024-02-07'::DATE)", 38),
    ("EXTRACT(year FROM '2024-01-07'::DATE)", 2024),
    ("DATE_PART('hour', '2024-01-07 05:00'::TIMESTAMP)", 5),
    ("LAST_DAY('2024-02-10'::DATE)", date(2024, 2, 29)),
    ("DATE_FROM_PARTS(2024, 1, 5)", date(2024, 1, 5)),
    ("TIMESTAMP_FROM_PARTS(2024, 1, 5, 10, 0, 0)", datetime(2024, 1, 5, 10)),
    ("CONVERT_TIMEZONE('UTC', 'America/New_York', '2024-01-01 12:00'::TIMESTAMP_NTZ)", datetime(2024, 1, 1, 7)),
    # conversions
    ("TRY_TO_NUMBER('12')", 12),
    ("TRY_TO_NUMBER('x')", None),
    ("TRY_TO_NUMBER('12.5', 10, 2)", Decimal("12.50")),
    ("TO_NUMBER('42')", 42),
    ("TRY_TO_DOUBLE('1.5')", 1.5),
    ("TRY_CAST('5' AS INT)", 5),
    ("'12.5'::NUMBER(10, 2)", Decimal("12.50")),
    ("'3'::INT + 1", 4),
    ("1.5::FLOAT", 1.5),
    ("TO_VARCHAR(42)", "42"),
    ("TO_CHAR('2024-01-05'::DATE, 'YYYY-MM-DD')", "2024-01-05"),
    ("TO_VARCHAR('2024-01-05 10:11:12'::TIMESTAMP, 'YYYY-MM-DD HH24:MI:SS')", "2024-01-05 10:11:12"),
    # semi-structured
    ("PARSE_JSON('{\"a\": 1}')", VARIANT_OBJECT),
    ("PARSE_JSON('{\"a\": {\"b\": [1, 2]}}'):a.b[1]::INT", 2),
    ("ARRAY_CONSTRUCT(7, 8)[1]::INT", 8),
    ("OBJECT_CONSTRUCT('k', ARRAY_CONSTRUCT(1, 2))['k'][0]::INT", 1),
    ("PARSE_JSON('{\"a\": \"hi\"}'):a::STRING", "hi"),
    ("PARSE_JSON('{\"Name\": \"Ada\"}'):\"Name\"::STRING", "Ada"),
    ("PARSE_JSON('{\"a\": \"12\"}'):a::INT", 12),
    ("PARSE_JSON('{\"a\": 1.5}'):a::NUMBER(10, 2)", Decimal("1.50")),
    ("PARSE_JSON('{\"a\": true}'):a::BOOLEAN", True),
    ("PARSE_JSON('{\"a\": \"2024-01-05\"}'):a::DATE", date(2024, 1, 5)),
    ("PARSE_JSON('\"plain\"')::STRING", "plain"),
    ("PARSE_JSON('{\"a\": null}'):a IS NULL", False),
    ("PARSE_JSON('{\"a\": null}'):a::STRING", None),
    ("PARSE_JSON('{\"a\": 1}'):missing IS NULL", True),
    ("IS_NULL_VALUE(PARSE_JSON('{\"a\": null}'):a)", True),
    ("OBJECT_CONSTRUCT('a', 1, 'b', NULL)", VARIANT_OBJECT),
    ("OBJECT_CONSTRUCT('a', 1, 'b', 'x'):b::STRING", "x"),
    ("OBJECT_CONSTRUCT_KEEP_NULL('a', NULL)", '{\n  "a": null\n}'),
    ("ARRAY_CONSTRUCT(1, 2, 3)", "[\n  1,\n  2,\n  3\n]"),
    ("ARRAY_SIZE(ARRAY_CONSTRUCT(1, 'two', 3))", 3),
    ("ARRAY_SIZE(PARSE_JSON('[1, 2]'))", 2),
    ("GET(PARSE_JSON('[1, 2, 3]'), 1)::INT", 2),
    ("GET_PATH(PARSE_JSON('{\"a\": {\"b\": 1}}'), 'a.b')::INT", 1),
    ("TO_VARIANT('text')", '"text"'),
    ("'text'::VARIANT::STRING", "text"),
    # strings
    ("SPLIT_PART('a,b,c', ',', 2)", "b"),
    ("CONCAT('a', 'b', 'c')", "abc"),
    ("CONCAT_WS('-', 'a', 'b')", "a-b"),
    ("'a' || 'b'", "ab"),
    ("UPPER('a')", "A"),
    ("LOWER('A')", "a"),
    ("INITCAP('hello world')", "Hello World"),
    ("TRIM('  a ')", "a"),
    ("LTRIM(' a')", "a"),
    ("RTRIM('a ')", "a"),
    ("SUBSTR('hello', 2, 3)", "ell"),
    ("SUBSTRING('hello', 2)", "ello"),
    ("LEFT('hello', 2)", "he"),
    ("RIGHT('hello', 2)", "lo"),
    ("LENGTH('hello')", 5),
    ("LEN('hello')", 5),
    ("REPLACE('hello', 'l', 'L')", "heLLo"),
    ("REGEXP_REPLACE('a1b2', '[0-9]', '')", "ab"),
    ("REGEXP_LIKE('abc', 'a.c')", True),
    ("RLIKE('abcd', 'a.c')", False),
    ("REGEXP_SUBSTR('abc123', '[0-9]+')", "123"),
    ("CONTAINS('hello', 'ell')", True),
    ("STARTSWITH('hello', 'he')", True),
    ("ENDSWITH('hello', 'lo')", True),
    ("POSITION('l' IN 'hello')", 3),
    ("CHARINDEX('l', 'hello')", 3),
    ("LPAD('5', 3, '0')", "005"),
    ("RPAD('5', 3, '0')", "500"),
    ("REVERSE('abc')", "cba"),
    ("REPEAT('ab', 2)", "abab"),
    ("ASCII('a')", 97),
    ("CHR(65)", "A"),
    ("'it''s'", "it's"),
    ("'tab\\there'", "tab\there"),
    ("MD5('abc')", "900150983cd24fb0d6963f7d28e17f72"),
    ("SHA2('abc', 256)", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("SHA1('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ("LENGTH(UUID_STRING())", 36),
    ("(SELECT COUNT(*) FROM TABLE(GENERATOR(ROWCOUNT => 5)))", 5),
    ("(SELECT MAX(SEQ4()) FROM TABLE(GENERATOR(ROWCOUNT => 5)))", 4),
    ("UNIFORM(7, 7, RANDOM())", 7),
    # numbers
    ("ROUND(2.567, 2)", Decimal("2.57")),
    ("ROUND(2.5)", 3),
    ("TRUNC(2.567, 1)", Decimal("2.5")),
    ("FLOOR(2.5)", 2),
    ("CEIL(2.1)", 3),
    ("ABS(-3)", 3),
    ("MOD(7, 3)", 1),
    ("7 % 3", 1),
    ("POWER(2, 10)", 1024),
    ("SQRT(16)", 4),
    ("LOG(10, 100)", 2),
    ("EXP(0)", 1),
    ("SIGN(-2)", -1),
    ("DIV0(1, 0)", 0),
    ("10 / 4", 2.5),
]

AGGREGATES = [
    ("COUNT(*)", 3),
    ("OBJECT_AGG(x::VARCHAR, x):\"2\"::INT", 2),
    ("OBJECT_AGG(x::VARCHAR, IFF(x = 2, NULL, x))::VARCHAR LIKE '%\"2\"%'", False),
    ("COUNT_IF(x > 1)", 2),
    ("SUM(x)", 6),
    ("AVG(x)", 2),
    ("MIN(x)", 1),
    ("MAX(x)", 3),
    ("MEDIAN(x)", 2),
    ("COUNT(DISTINCT x)", 3),
    ("APPROX_COUNT_DISTINCT(x)", 3),
    ("LISTAGG(x, ',') WITHIN GROUP (ORDER BY x)", "1,2,3"),
    ("BOOLOR_AGG(x > 2)", True),
    ("BOOLAND_AGG(x > 2)", False),
    ("MAX_BY(x * 10, x)", 30),
    ("ARRAY_SIZE(ARRAY_AGG(x))", 3),
    ("STDDEV(x)", 1),
]


def _select(backend, sql: str):
    _, conn = backend
    return normalize(conn.cursor().execute(sql).fetchall(), ordered=True)


@pytest.mark.parametrize(("expression", "expected"), SCALARS, ids=[e for e, _ in SCALARS])
def test_scalar_function(backend, expression, expected) -> None:
    assert _select(backend, f"SELECT {expression}") == normalize([(expected,)], ordered=True)


@pytest.mark.parametrize(("expression", "expected"), AGGREGATES, ids=[e for e, _ in AGGREGATES])
def test_aggregate_function(backend, expression, expected) -> None:
    sql = f"SELECT {expression} FROM (SELECT column1 AS x FROM VALUES (1), (2), (3))"
    assert _select(backend, sql) == normalize([(expected,)], ordered=True)


def test_window_functions(backend) -> None:
    sql = """
        SELECT x, ROW_NUMBER() OVER (ORDER BY x DESC), RANK() OVER (ORDER BY g), LAG(x) OVER (ORDER BY x),
               LEAD(x) OVER (ORDER BY x), FIRST_VALUE(x) OVER (PARTITION BY g ORDER BY x),
               SUM(x) OVER (PARTITION BY g)
        FROM (SELECT column1 AS x, column2 AS g FROM VALUES (1, 'a'), (2, 'a'), (3, 'b'))
        ORDER BY x
    """
    assert _select(backend, sql) == [(1, 3, 1, None, 2, 1, 3), (2, 2, 1, 1, 3, 1, 3), (3, 1, 3, 2, None, 3, 3)]


def test_qualify_keeps_the_latest_row_per_key(backend) -> None:
    sql = """
        SELECT id, v FROM (SELECT column1 AS id, column2 AS v, column3 AS ts
                           FROM VALUES (1, 'old', 1), (1, 'new', 2), (2, 'only', 1))
        QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) = 1 ORDER BY id
    """
    assert _select(backend, sql) == [(1, "new"), (2, "only")]


def test_nulls_sort_last_ascending_and_first_descending(backend) -> None:
    rows = "SELECT column1 AS x FROM VALUES (2), (NULL), (1)"
    assert _select(backend, f"SELECT x FROM ({rows}) ORDER BY x") == [(1,), (2,), (None,)]
    assert _select(backend, f"SELECT x FROM ({rows}) ORDER BY x DESC") == [(None,), (2,), (1,)]


def test_lateral_flatten_over_an_array_and_an_object(backend) -> None:
    sql = """
        SELECT t.id, f.index, f.key, f.value::INT AS v, f.path
        FROM (SELECT 1 AS id, PARSE_JSON('{"items": [10, 20], "obj": {"k": 5}}') AS raw) t,
             LATERAL FLATTEN(input => t.raw:items) f
        ORDER BY f.index
    """
    assert _select(backend, sql) == [(1, 0, None, 10, "[0]"), (1, 1, None, 20, "[1]")]
    sql = """
        SELECT f.key, f.value::INT FROM (SELECT PARSE_JSON('{"k": 5, "j": 6}') AS raw) t,
        LATERAL FLATTEN(input => t.raw) f ORDER BY f.key
    """
    assert _select(backend, sql) == [("j", 6), ("k", 5)]


def test_flatten_of_a_constant_yields_elements_in_index_order(backend) -> None:
    sql = "SELECT value::VARCHAR, index FROM LATERAL FLATTEN(input => ['a', 'b', 'c'])"
    assert _select(backend, sql) == [("a", 0), ("b", 1), ("c", 2)]


def test_flatten_outer_keeps_rows_with_empty_arrays(backend) -> None:
    sql = """
        SELECT t.id, f.value::INT FROM (SELECT column1 AS id, PARSE_JSON(column2) AS arr
                                        FROM VALUES (1, '[7]'), (2, '[]')) t,
        LATERAL FLATTEN(input => t.arr, outer => TRUE) f ORDER BY t.id
    """
    assert _select(backend, sql) == [(1, 7), (2, None)]


def test_text_that_is_not_json_is_an_error_naming_where(backend) -> None:
    _, conn = backend
    with pytest.raises(Exception, match="Error parsing JSON"):
        conn.cursor().execute("SELECT PARSE_JSON('{a: }')")


def test_text_that_is_not_a_timestamp_is_an_error(backend) -> None:
    _, conn = backend
    with pytest.raises(Exception, match="is not recognized") as error:
        conn.cursor().execute("SELECT '2026-01-01 10:00:00 Not/AZone'::TIMESTAMP_TZ")
    assert error.value.sqlstate == "22007"


def test_division_by_zero_is_an_error(backend) -> None:
    _, conn = backend
    with pytest.raises(Exception, match="(?i)division by zero"):
        conn.cursor().execute("SELECT 1 / 0").fetchall()
