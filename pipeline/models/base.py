"""The glue between slots dataclasses and fastavro's dicts.

fastavro reads records into dicts and writes records from dicts. A model is
built from a decoded dict with ``cls(**record)`` (no copies: the dict's values
become the attributes) and turned back into a dict with one ``attrgetter``
call, which is several times cheaper than :func:`dataclasses.asdict` (that one
deep-copies every value).
"""
from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any, ClassVar, TypeVar

M = TypeVar("M", bound="AvroModel")


class AvroModel:
    """Base of every event class: ``from_avro`` / ``to_avro`` for the serde.

    Subclasses are ``@dataclass(slots=True, kw_only=True)`` classes whose field
    names are exactly the Avro field names, in schema order, then decorated
    with :func:`avro_model`.
    """

    __slots__ = ()

    #: the Avro record name (``orderflow.events.<name>``)
    avro_name: ClassVar[str]
    _avro_fields: ClassVar[tuple[str, ...]]
    _avro_values: ClassVar[Any]
    #: (field, model) for fields holding arrays of nested records
    _avro_arrays: ClassVar[tuple[tuple[str, type[AvroModel]], ...]] = ()

    @classmethod
    def from_avro(cls: type[M], record: dict) -> M:
        """The model of a decoded record; nested arrays become model lists in place."""
        for name, item in cls._avro_arrays:
            record[name] = [item(**value) for value in record[name]]
        return cls(**record)

    def to_avro(self) -> dict:
        """The record as the dict fastavro writes."""
        record = dict(zip(self._avro_fields, self._avro_values(self)))
        for name, _ in self._avro_arrays:
            record[name] = [item.to_avro() for item in record[name]]
        return record


def avro_model(arrays: dict[str, type[AvroModel]] | None = None):
    """Class decorator: prepare a dataclass model's fast converters.

    ``arrays`` names the fields that hold arrays of nested records, with the
    model of their items.
    """

    def prepare(cls: type[M]) -> type[M]:
        names = tuple(field.name for field in fields(cls))
        assert len(names) > 1, "attrgetter of one name returns a value, not a tuple"
        cls.avro_name = cls.__name__
        cls._avro_fields = names
        cls._avro_values = attrgetter(*names)
        cls._avro_arrays = tuple((arrays or {}).items())
        return cls

    return prepare
