"""Message values -> rows: JSON objects, Avro records with a given schema, Confluent-framed Avro.

A decoder turns one message value (bytes) into a dict of column values, or raises
MalformedMessageError with a reason; the caller adds where the message sits (topic, partition,
offset), which only it knows. fastavro is imported when an Avro decoder is built, never at parse time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

#: The formats a decoder can be built for.
VALUE_FORMATS = ("json", "avro", "confluent_avro")
#: First byte of a Confluent Schema Registry frame; the next four are the schema id (big-endian).
CONFLUENT_MAGIC = 0
_CONFLUENT_HEADER = 5

Decoder = Callable[[bytes | None], dict[str, Any]]


class MalformedMessageError(ValueError):
    """A message value that does not decode to a record; the text says why."""


def decode_json(value: bytes | None) -> dict[str, Any]:
    """The value as a JSON object."""
    if value is None:
        raise MalformedMessageError("message has no value (expected a JSON object)")
    try:
        decoded = json.loads(value)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedMessageError(f"not valid JSON ({error})") from None
    if not isinstance(decoded, dict):
        raise MalformedMessageError(f"expected a JSON object, got {type(decoded).__name__}")
    return decoded


def json_batch() -> Callable[[list[bytes | None]], list[dict[str, Any]] | None]:
    """A fast decoder of a whole chunk of JSON objects: the list, or None when any value is not one.

    msgspec (an Airflow dependency) decodes several times faster than `json`; a chunk it refuses
    goes through `decode_json` message by message, which names the culprit.
    """
    try:
        from msgspec.json import Decoder as MsgspecDecoder
    except ImportError:  # pragma: no cover - Airflow depends on msgspec
        return lambda values: None
    decoder = MsgspecDecoder()

    def decode_all(values: list[bytes | None]) -> list[dict[str, Any]] | None:
        try:
            records = list(map(decoder.decode, values))  # type: ignore[arg-type]
        except (ValueError, TypeError):  # msgspec.DecodeError is a ValueError; None is a TypeError
            return None
        return records if all(type(r) is dict for r in records) else None

    return decode_all


def avro_schema_dict(schema: Mapping[str, Any] | str, field: str = "avro_schema") -> dict[str, Any]:
    """A record schema as a dict: given as one, or as its JSON text; ValueError naming `field`."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as error:
            raise ValueError(f"{field}: not valid JSON ({error})") from None
    if not isinstance(schema, Mapping):
        raise ValueError(f"{field}: an Avro schema must be a JSON object, got {type(schema).__name__}")
    if schema.get("type") != "record" or not isinstance(schema.get("fields"), list):
        raise ValueError(f"{field}: must be an Avro record schema ({{'type': 'record', 'fields': [...]}})")
    return dict(schema)


def avro_field_names(schema: Mapping[str, Any]) -> list[str]:
    """The top-level field names of a record schema, in order: the columns its records fill."""
    return [str(f["name"]) for f in schema.get("fields", []) if isinstance(f, Mapping) and "name" in f]


def _avro_value(value: Any) -> Any:
    """Avro bytes become text when they are UTF-8 (else stay bytes); the rest is as fastavro decodes."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


def avro_decoder(schema: Mapping[str, Any], *, confluent: bool, schema_id: int | None = None) -> Decoder:
    """A decoder of Avro binary records written with `schema` (the writer's schema).

    With `confluent`, each value starts with the Schema Registry frame (magic byte 0 and a 4-byte
    schema id); the schema itself is the one given here, so `schema_id`, when set, must match.
    """
    import io

    from fastavro import parse_schema, schemaless_reader

    try:
        parsed = parse_schema(dict(schema))
    except Exception as error:  # fastavro raises SchemaParseException, ValueError, KeyError, ...
        raise ValueError(f"avro_schema: not a valid Avro schema ({error})") from None

    def decode(value: bytes | None) -> dict[str, Any]:
        if value is None:
            raise MalformedMessageError("message has no value (expected an Avro record)")
        start = 0
        if confluent:
            if len(value) < _CONFLUENT_HEADER or value[0] != CONFLUENT_MAGIC:
                raise MalformedMessageError(
                    "not in the Confluent wire format (expected magic byte 0 and a 4-byte schema id)"
                )
            found = int.from_bytes(value[1:_CONFLUENT_HEADER], "big")
            if schema_id is not None and found != schema_id:
                raise MalformedMessageError(f"written with schema id {found}, expected {schema_id}")
            start = _CONFLUENT_HEADER
        stream = io.BytesIO(value)
        stream.seek(start)
        try:
            record = schemaless_reader(stream, parsed, None)
        except Exception as error:  # truncated or foreign bytes surface as EOFError, IndexError, ...
            raise MalformedMessageError(f"not an Avro record of the given schema ({error!r})") from None
        if stream.tell() != len(value):
            raise MalformedMessageError(
                f"not an Avro record of the given schema ({len(value) - stream.tell()} bytes left over)"
            )
        if not isinstance(record, dict):  # pragma: no cover - a record schema always gives a dict
            raise MalformedMessageError(f"expected an Avro record, got {type(record).__name__}")
        return {name: _avro_value(v) for name, v in record.items()}

    return decode


def make_decoder(
    value_format: str, avro_schema: Mapping[str, Any] | None, schema_id: int | None = None
) -> Decoder:
    if value_format == "json":
        return decode_json
    assert avro_schema is not None  # the operator requires it for Avro formats
    return avro_decoder(avro_schema, confluent=value_format == "confluent_avro", schema_id=schema_id)


def column_value(value: Any) -> Any:
    """Nested values go to the table as JSON text: drivers cannot bind dicts or lists."""
    return json.dumps(value, default=str) if isinstance(value, dict | list) else value
