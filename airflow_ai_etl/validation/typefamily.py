"""Native column types reduced to families, and whether a value of one fits a column of another.

A transfer moves rows between systems whose type names differ (`int4`, `INTEGER`, `Int32`), so
types are compared by family (integer, decimal, float, text, ...) and, within a family, by size
where both sides state one. The rules are deliberately conservative in one direction only:
a conversion is flagged when it can lose data or fail (narrowing, incompatible), never merely
because the names differ. Types sqlglot cannot read are "unknown", which callers report as a
warning rather than guessing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError


class Family(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"
    INTERVAL = "interval"
    JSON = "json"
    BINARY = "binary"
    UUID = "uuid"
    ARRAY = "array"
    UNKNOWN = "unknown"


class Fit(StrEnum):
    """How a source value fits a target column."""

    OK = "ok"
    NARROWING = "narrowing"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"


#: Byte width of integer and float types: a wider target is fine, a narrower one is not.
_SIZED: dict[str, tuple[Family, int]] = {
    "TINYINT": (Family.INTEGER, 1),
    "UTINYINT": (Family.INTEGER, 2),
    "SMALLINT": (Family.INTEGER, 2),
    "SMALLSERIAL": (Family.INTEGER, 2),
    "USMALLINT": (Family.INTEGER, 4),
    "MEDIUMINT": (Family.INTEGER, 3),
    "UMEDIUMINT": (Family.INTEGER, 4),
    "INT": (Family.INTEGER, 4),
    "SERIAL": (Family.INTEGER, 4),
    "UINT": (Family.INTEGER, 8),
    "BIGINT": (Family.INTEGER, 8),
    "BIGSERIAL": (Family.INTEGER, 8),
    "UBIGINT": (Family.INTEGER, 16),
    "INT128": (Family.INTEGER, 16),
    "UINT128": (Family.INTEGER, 32),
    "INT256": (Family.INTEGER, 32),
    "UINT256": (Family.INTEGER, 64),
    "FLOAT": (Family.FLOAT, 4),
    "DOUBLE": (Family.FLOAT, 8),
}

_FAMILY_NAMES: dict[Family, tuple[str, ...]] = {
    Family.DECIMAL: (
        "DECIMAL",
        "BIGDECIMAL",
        "UDECIMAL",
        "DECIMAL32",
        "DECIMAL64",
        "DECIMAL128",
        "DECIMAL256",
        "MONEY",
        "SMALLMONEY",
    ),
    Family.TEXT: (
        "TEXT",
        "VARCHAR",
        "NVARCHAR",
        "CHAR",
        "NCHAR",
        "BPCHAR",
        "NAME",
        "TINYTEXT",
        "MEDIUMTEXT",
        "LONGTEXT",
        "FIXEDSTRING",
        "CITEXT",
        "ENUM",
        "ENUM8",
        "ENUM16",
        "LOWCARDINALITY",
    ),
    Family.BOOLEAN: ("BOOLEAN",),
    Family.DATE: ("DATE", "DATE32"),
    Family.TIME: ("TIME", "TIMETZ"),
    Family.TIMESTAMP: (
        "TIMESTAMP",
        "TIMESTAMPTZ",
        "TIMESTAMPLTZ",
        "TIMESTAMPNTZ",
        "TIMESTAMP_S",
        "TIMESTAMP_MS",
        "TIMESTAMP_NS",
        "DATETIME",
        "DATETIME2",
        "DATETIME64",
        "SMALLDATETIME",
    ),
    Family.INTERVAL: ("INTERVAL",),
    Family.JSON: ("JSON", "JSONB"),
    Family.BINARY: ("BINARY", "VARBINARY", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "IMAGE"),
    Family.UUID: ("UUID", "UNIQUEIDENTIFIER"),
    Family.ARRAY: ("ARRAY", "LIST"),
}
_BY_NAME: dict[str, Family] = {name: family for family, names in _FAMILY_NAMES.items() for name in names}

#: Conversions to another family that never lose data (`to_text` is handled separately).
_WIDENING: frozenset[tuple[Family, Family]] = frozenset(
    {
        (Family.INTEGER, Family.DECIMAL),
        (Family.INTEGER, Family.FLOAT),
        (Family.DECIMAL, Family.FLOAT),
        (Family.BOOLEAN, Family.INTEGER),
        (Family.DATE, Family.TIMESTAMP),
        (Family.JSON, Family.TEXT),
    }
)
#: Conversions that are meaningful but can lose data (fractions, time of day, precision).
_NARROWING: frozenset[tuple[Family, Family]] = frozenset(
    {
        (Family.DECIMAL, Family.INTEGER),
        (Family.FLOAT, Family.INTEGER),
        (Family.FLOAT, Family.DECIMAL),
        (Family.TIMESTAMP, Family.DATE),
    }
)


@dataclass(frozen=True)
class TypeInfo:
    """A native type as family plus the size parameters that matter for narrowing."""

    native: str
    family: Family
    width: int | None = None  # bytes of an integer/float; characters of a bounded text
    precision: int | None = None  # decimal digits (decimal only)
    scale: int | None = None  # decimal digits after the point (decimal only)


def _int_params(data_type: exp.DataType) -> list[int]:
    values = []
    for param in data_type.expressions:
        text = param.name if isinstance(param, exp.DataTypeParam) else param.sql()
        if not text.isdigit():
            return []
        values.append(int(text))
    return values


@functools.lru_cache(maxsize=4096)
def type_info(native: str, dialect: str) -> TypeInfo:
    """Read a native type name (`numeric(12,2)`, `character varying(20)`) in its dialect.

    Cached: a catalog repeats a few type names over many columns, every validation reads them
    again, and sqlglot's parse of each costs ~0.3 ms; the result is a frozen value."""
    if not native.strip():
        return TypeInfo(native, Family.UNKNOWN)
    try:
        data_type = exp.DataType.build(native, dialect=dialect or None)
    except (ParseError, TokenError, ValueError):
        return TypeInfo(native, Family.UNKNOWN)
    return datatype_info(data_type, native)


def datatype_info(data_type: exp.DataType, native: str | None = None) -> TypeInfo:
    """The family of a parsed sqlglot type (as annotate_types infers it for a query's output)."""
    name = data_type.this.name if isinstance(data_type.this, exp.DType) else ""
    native = native if native is not None else data_type.sql()
    params = _int_params(data_type)
    if name in _SIZED:
        family, width = _SIZED[name]
        return TypeInfo(native, family, width=width)
    family = _BY_NAME.get(name, Family.UNKNOWN)
    if family is Family.DECIMAL and params:
        return TypeInfo(native, family, precision=params[0], scale=params[1] if len(params) > 1 else 0)
    if family is Family.TEXT and name not in ("TEXT", "CITEXT") and params:
        return TypeInfo(native, family, width=params[0])
    return TypeInfo(native, family)


def _same_family_fit(source: TypeInfo, target: TypeInfo) -> Fit:
    if source.family in (Family.INTEGER, Family.FLOAT, Family.TEXT):
        if source.width is not None and target.width is not None and target.width < source.width:
            return Fit.NARROWING
        return Fit.OK
    if source.family is Family.DECIMAL:
        s_precision, s_scale, t_precision, t_scale = (
            source.precision,
            source.scale,
            target.precision,
            target.scale,
        )
        if s_precision is None or s_scale is None or t_precision is None or t_scale is None:
            return Fit.OK  # an unbounded side: nothing to compare
        # Both the digits before and those after the point must fit.
        if t_scale < s_scale or t_precision - t_scale < s_precision - s_scale:
            return Fit.NARROWING
    return Fit.OK


def fit(source: TypeInfo, target: TypeInfo) -> Fit:
    """Whether values of `source` can be written into a column of `target` without loss."""
    if source.native.strip().lower() == target.native.strip().lower() and source.native.strip():
        return Fit.OK
    if Family.UNKNOWN in (source.family, target.family):
        return Fit.UNKNOWN
    if source.family is target.family:
        return _same_family_fit(source, target)
    if (source.family, target.family) in _WIDENING:
        return Fit.OK
    if target.family is Family.TEXT and source.family is not Family.BINARY:
        return Fit.OK  # every value but raw bytes has a text form
    if (source.family, target.family) in _NARROWING:
        return Fit.NARROWING
    return Fit.INCOMPATIBLE
