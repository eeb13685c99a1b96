"""A lean codec for the event store: the stored format of eventsourcing's JSONTranscoder, written and read
with orjson, and a mapper and projector without the library's per-event runtime-protocol checks.

Pure (no I/O). What is stored does not change: UTF-8 JSON without spaces, keys in insertion order, and
every value of a registered type wrapped as `{"_type_": NAME, "_data_": DATA}` exactly as JSONTranscoder
wraps it, so records written by either transcoder are read by both (tests/unit/test_codec.py holds them to
the same bytes and the same decoded objects).

Why it is faster than JSONTranscoder:
- encoding: one walk in Python that wraps the few non-JSON values (datetimes, UUIDs, dates, decimals) and
  copies only the containers that hold one, then orjson;
- decoding: orjson, then the wrappers are unwrapped. The stdlib decoder calls a Python object hook for every
  JSON object; here, when the number of `"_type_"` keys in the bytes equals the number of wrappers found among
  the top-level values (the usual event: timestamp, effective_at, command_id), nothing else is visited.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any, Callable, Iterable

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.utils import resolve_topic

from adapters.event_store.aggregate_select import SelectsEventRows

_SCALARS = frozenset({str, int, float, bool, type(None)})
_TYPE_KEY = b'"_type_"'
_OPTIONS = orjson.OPT_NON_STR_KEYS  # int keys become strings, as the json module makes them
_new = object.__new__
_set = object.__setattr__
_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def uuid_from_hex(data: str) -> uuid.UUID:
    """UUIDAsHex.decode without UUID.__init__'s general parsing (stored ids are always 32 hex digits)."""
    if type(data) is not str or len(data) != 32:
        return UUIDAsHex().decode(data)
    value = _new(uuid.UUID)
    _set(value, "int", int(data, 16))
    _set(value, "is_safe", _SAFE_UNKNOWN)
    return value


def _datetime_from_iso(data: str) -> dt.datetime:
    if type(data) is not str:
        return DatetimeAsISO().decode(data)
    return dt.datetime.fromisoformat(data)


# The library's own transcodings, done without a method call and an assert per value. A transcoding
# registered under the same name by another class is used as it is.
_FAST_DECODERS: dict[type, Callable[[Any], Any]] = {UUIDAsHex: uuid_from_hex, DatetimeAsISO: _datetime_from_iso}
_FAST_ENCODERS: dict[type, Callable[[Any], Any]] = {UUIDAsHex: lambda o: o.hex, DatetimeAsISO: lambda o: o.isoformat()}


class LeanJSONTranscoder(JSONTranscoder):
    """JSONTranscoder's format and transcodings (`register` works the same), encoded and decoded with orjson."""

    def __init__(self) -> None:
        super().__init__()
        self._decoders: dict[str, Callable[[Any], Any]] = {}
        self._encoders: dict[type, tuple[str, Callable[[Any], Any]]] = {}
        # topic -> (key, wrapper name, decoder) of each top-level value that held a wrapper in its last record
        self._hints: dict[str, tuple[tuple[str, str, Callable[[Any], Any]], ...]] = {}

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        kind = type(transcoding)
        self._decoders[transcoding.name] = _FAST_DECODERS.get(kind, transcoding.decode)
        encode = _FAST_ENCODERS.get(kind)
        if encode is None:
            plain = transcoding.encode
            encode = lambda o: self._prepare(plain(o))  # noqa: E731 - its output may hold values to wrap in turn
        self._encoders[transcoding.type] = (transcoding.name, encode)

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(self._prepare(obj), option=_OPTIONS)

    def decode(self, data: bytes, hint: str | None = None) -> Any:
        """What JSONTranscoder.decode gives. `hint` (the stored topic) lets it try first the keys that held
        wrappers in the last record of that topic, with their decoders; the count of `"_type_"` keys says
        whether that was all."""
        obj = orjson.loads(data)
        expected = data.count(_TYPE_KEY)
        if not expected:
            return obj
        if type(obj) is dict:
            if hint is not None:
                known = self._hints.get(hint)
                if known is not None and len(known) == expected:
                    try:
                        for key, name, decoder in known:
                            value = obj[key]
                            if type(value) is not dict or len(value) != 2 or value.get("_type_") != name:
                                raise KeyError(key)
                            obj[key] = decoder(value["_data_"])
                        return obj
                    except KeyError:  # this record differs from the last of its topic: the general way
                        obj = orjson.loads(data)
            found = 0
            decoders = self._decoders
            wrapped: list[tuple[str, str, Callable[[Any], Any]]] = []
            for key, value in obj.items():
                if type(value) is dict and "_type_" in value:
                    found += 1
                    if len(value) == 2 and "_data_" in value:
                        name = value["_type_"]
                        decoder = decoders.get(name) if type(name) is str else None
                        if decoder is None:
                            decoder = self._transcoding(self.names, name).decode
                        obj[key] = decoder(value["_data_"])
                        wrapped.append((key, name, decoder))
            if "_type_" in obj:
                found += 1
            if found == expected:
                if hint is not None and "_type_" not in obj:
                    self._hints[hint] = tuple(wrapped)
                return self._unwrap(obj) if "_type_" in obj else obj
            obj = orjson.loads(data)  # wrappers deeper down: start again on a fresh copy, visiting everything
        return self._revive(obj)

    # --- encoding ----------------------------------------------------------------------------

    def _prepare(self, o: Any) -> Any:
        """`o` with every value of a registered type wrapped; containers are copied only when they change."""
        t = type(o)
        if t in _SCALARS:
            return o
        if t is dict:
            copy = None
            for key, value in o.items():
                if type(value) in _SCALARS:
                    continue
                prepared = self._prepare(value)
                if prepared is not value:
                    if copy is None:
                        copy = dict(o)
                    copy[key] = prepared
            return o if copy is None else copy
        if t is list or t is tuple:
            items = [self._prepare(v) for v in o]
            return items if t is tuple or any(a is not b for a, b in zip(items, o)) else o
        # the json module encodes subclasses of its native types as those types (a str enum as its value)
        if isinstance(o, str):
            return str.__str__(o)
        if isinstance(o, int):
            return int(o)
        if isinstance(o, float):
            return float(o)
        if isinstance(o, dict):
            return self._prepare(dict(o))
        if isinstance(o, (list, tuple)):
            return [self._prepare(v) for v in o]
        try:
            name, encode = self._encoders[t]
        except KeyError:
            msg = (
                f"Object of type {t} is not serializable. Please define and register a custom transcoding "
                "for this type."
            )
            raise TranscodingNotRegisteredError(msg) from None
        return {"_type_": name, "_data_": encode(o)}

    # --- decoding ----------------------------------------------------------------------------

    @staticmethod
    def _transcoding(names: dict, name: Any) -> Any:
        try:
            return names[name]
        except KeyError as e:
            msg = f"Data serialized with name '{name}' is not deserializable. Please register a custom transcoding for this type."
            raise TranscodingNotRegisteredError(msg) from e

    def _unwrap(self, d: dict) -> Any:
        """What JSONTranscoder's object hook does with one decoded object (its values already revived)."""
        if len(d) == 2 and "_type_" in d and "_data_" in d:
            name = d["_type_"]
            decoder = self._decoders.get(name) if type(name) is str else None
            if decoder is None:
                decoder = self._transcoding(self.names, name).decode
            return decoder(d["_data_"])
        return d

    def _revive(self, o: Any) -> Any:
        """Every wrapper replaced by its value, innermost first (the order of the json module's object hook)."""
        t = type(o)
        if t is dict:
            for key, value in o.items():
                tv = type(value)
                if tv is dict or tv is list:
                    o[key] = self._revive(value)
            return self._unwrap(o) if "_type_" in o else o
        if t is list:
            for i, value in enumerate(o):
                tv = type(value)
                if tv is dict or tv is list:
                    o[i] = self._revive(value)
        return o


class LeanMapper(Mapper):
    """eventsourcing's Mapper with the per-topic work (class, class version, id convertor) done once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._classes: dict[str, tuple[type, int]] = {}
        self._convertors: dict[tuple[type, type], Any] = {}
        self._hinted = isinstance(self.transcoder, LeanJSONTranscoder)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.event_of(stored_event.originator_id, stored_event.originator_version, stored_event.topic,
                             stored_event.state)

    def event_of(self, originator_id: Any, originator_version: int, topic: str, state: bytes) -> Any:
        """The domain event of one stored record, given as its parts (a StoredEvent's four fields)."""
        known = self._classes.get(topic)
        if known is None:
            cls = resolve_topic(topic)
            known = self._classes[topic] = (cls, getattr(cls, "class_version", 1))
        cls, class_version = known
        try:
            if self.cipher:
                state = self.cipher.decrypt(state)
            if self.compressor:
                state = self.compressor.decompress(state)
            if self._hinted:
                event_state: dict[str, Any] = self.transcoder.decode(state, topic)
            else:
                event_state = self.transcoder.decode(state)
        except Exception as e:
            msg = (
                f"Failed to deserialise state of stored event with topic '{topic}', originator_id "
                f"'{originator_id}' and originator_version {originator_version}: {e}"
            )
            raise MapperDeserialisationError(msg) from e
        key = (cls, type(originator_id))
        convertor = self._convertors.get(key)
        if convertor is None:
            convertor = self._convertors[key] = find_id_convertor(cls, type(originator_id))
        event_state["originator_id"] = convertor(originator_id)
        event_state["originator_version"] = originator_version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", event_state)
        return domain_event


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The aggregate projector without the library's per-event `isinstance(e, CanMutateProtocol)` (a
    runtime-checkable Protocol: it walks the protocol's members for every event). Every event this
    application stores is a CanMutateAggregate or a Snapshot, both of which have `mutate`."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate



class LeanRepository(Repository):
    """The library's Repository, reconstructing with `project` unless told otherwise, and without asking the
    snapshot store about aggregates too short to have a snapshot.

    The library looks for a snapshot before every load: a second query, as costly as the first for the
    usual grant of a dozen events. Here the first `snapshot_probe` stored events are read first (not decoded);
    fewer than that, and there is nothing a snapshot could save, so they are replayed. Replaying every event
    gives the same aggregate as starting from a snapshot, so this holds whatever snapshots exist.
    """

    def __init__(self, *args: Any, snapshot_probe: int = 0, snapshot_usable: Callable[[Any], bool] = lambda s: True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.snapshot_probe = snapshot_probe
        self.snapshot_usable = snapshot_usable

    def get(self, aggregate_id: Any, *, version: int | None = None, projector_func: Any = project, **kwargs: Any) -> Any:
        return super().get(aggregate_id, version=version, projector_func=projector_func, **kwargs)

    def _reconstruct_aggregate(self, aggregate_id: Any, version: int | None, projector_func: Any) -> Any:
        probe = self.snapshot_probe
        if self.snapshot_store is not None and probe > 0:
            recorder, mapper = self.event_store.recorder, self.event_store.mapper
            if isinstance(recorder, SelectsEventRows) and recorder.reads_rows(aggregate_id) and isinstance(mapper, LeanMapper):
                # the rows as they are read, decoded without a StoredEvent each (the lean recorders)
                rows = recorder.select_event_rows(aggregate_id, lte=version, limit=probe)
                events: Iterable[Any] = (mapper.event_of(aggregate_id, v, topic, state) for v, topic, state in rows)
            else:
                rows = recorder.select_events(aggregate_id, lte=version, limit=probe)
                events = map(mapper.to_domain_event, rows)
            if len(rows) < probe:
                aggregate = projector_func(None, events)
                if aggregate is None:
                    raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} version {version!r} not found.")
                return aggregate
        return self._from_snapshot(aggregate_id, version, projector_func)

    def _from_snapshot(self, aggregate_id: Any, version: int | None, projector_func: Any) -> Any:
        """The library's reconstruction (the latest snapshot up to `version`, then the events after it), except
        that a snapshot `snapshot_usable` refuses is passed over: then every event is replayed."""
        snapshots: list[Any] = []
        if self.snapshot_store is not None:
            snapshots = list(self.snapshot_store.get(originator_id=aggregate_id, desc=True, limit=1, lte=version))
            if snapshots and not self.snapshot_usable(snapshots[0]):
                snapshots = []
        gt = snapshots[0].originator_version if snapshots else None
        events = self.event_store.get(originator_id=aggregate_id, gt=gt, lte=version)
        aggregate = projector_func(None, itertools.chain(snapshots, events))
        if aggregate is None:
            raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} version {version!r} not found.")
        return aggregate
