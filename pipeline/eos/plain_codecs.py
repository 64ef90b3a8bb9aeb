"""Table keys and values encoded by their own codec alone.

Faust's store encodes and decodes every key and value through the app's
serializer registry (``Registry.dumps_key``, ``loads_value``...): a model
check, a codec looked up by name, and for each decoded value
``Model._maybe_reconstruct``, which searches it for a ``__faust`` model
namespace (an order's saga state, a dict, at each of its reads). A table
whose keys and values are not Faust models and whose codecs are named
(``key_serializer``, ``value_serializer``: every table of this project)
needs none of it: its codecs are looked up once and called directly.
"""
from __future__ import annotations

from typing import Any, Optional

from faust.exceptions import ValueDecodeError
from faust.serializers import codecs
from faust.types import CodecT


def plain_codec(serializer: Any, typ: Any, *plain_types: Any) -> Optional[CodecT]:
    """The codec named ``serializer`` if ``typ`` is one of ``plain_types``; else None."""
    return codecs.get_codec(serializer) if typ in plain_types and isinstance(serializer, str) else None


class PlainCodecs:
    """Mixin for a Faust store: plain keys and values skip the serializer registry.

    Keys of type None, ``str`` or ``bytes`` are encoded by their codec (Faust
    decodes them, rarely: only to iterate a table, into ``str`` for ``str``);
    values of type None are encoded and decoded by theirs. Like the registry,
    a key or value that is already ``bytes`` is stored as it is, and a value
    that does not decode raises ``ValueDecodeError``.
    """

    key_type: Any
    value_type: Any
    key_serializer: Any
    value_serializer: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._key_codec = plain_codec(self.key_serializer, self.key_type, None, str, bytes)
        self._value_codec = plain_codec(self.value_serializer, self.value_type, None)

    def _encode_key(self, key: Any) -> bytes:
        if self._key_codec is None:
            return super()._encode_key(key)
        if key is None:
            raise TypeError("Table key cannot be None")
        return key if isinstance(key, bytes) else self._key_codec.dumps(key)

    def _encode_value(self, value: Any) -> Optional[bytes]:
        if self._value_codec is None:
            return super()._encode_value(value)
        return value if isinstance(value, bytes) else self._value_codec.dumps(value)

    def _decode_value(self, value: Optional[bytes]) -> Any:
        if self._value_codec is None:
            return super()._decode_value(value)
        if value is None:
            return None
        try:
            return self._value_codec.loads(value)
        except Exception as exc:
            raise ValueDecodeError(str(exc)) from exc
