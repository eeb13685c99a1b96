"""Building the state records cheaply: every load of a grant replays every one of its events, so the events
make their records without validating again what the store already held in the right types."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from domain.models import ApplicationDocuments, CriterionAdvice, ExtensionPlan, Partner, Penvoerder
from domain.state import CommandReceipt


def _years(amounts: dict[Any, int]) -> dict[int, int]:
    return {int(year): int(cents) for year, cents in amounts.items()}


M = TypeVar("M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__
_fields: dict[type, tuple[tuple[str, ...], tuple[tuple[str, Any, Any], ...]]] = {}


def _record(cls: type[M], **values: Any) -> M:
    """`cls(**values)` for values that already have the field types (ints, strings, dates, enums, records
    built here), without validating them again: what pydantic's `model_construct` does, for the plain
    record models of domain/state.py (no private attributes, no extra fields).
    tests/unit/test_codec.py holds every record built this way equal to the validated one."""
    spec = _fields.get(cls)
    if spec is None:
        fields = cls.model_fields
        spec = _fields[cls] = (
            tuple(fields),
            tuple((name, info.default, info.default_factory) for name, info in fields.items()),
        )
    names, defaults = spec
    if len(values) == len(names):
        data = {name: values[name] for name in names}  # in field order, as validation leaves them
    else:
        unknown = values.keys() - set(names)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        data = {}
        for name, default, factory in defaults:
            if name in values:
                data[name] = values[name]
            elif factory is not None:
                data[name] = factory()
            else:
                data[name] = default
    return _constructed(cls, data, set(values))


def _constructed(cls: type[M], data: dict[str, Any], fields_set: set[str]) -> M:
    """A model of `cls` holding `data` (its fields, in field order) as they are: pydantic's model_construct."""
    model = _new(cls)
    _set(model, "__dict__", data)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


_RECEIPT_FIELDS = ("type", "version", "status", "events", "fingerprint")
assert tuple(CommandReceipt.model_fields) == _RECEIPT_FIELDS, "CommandReceipt's fields changed: change _receipt too"


def _receipt(type: str, version: int, status: Any, events: list[str], fingerprint: str | None) -> CommandReceipt:
    """`_record(CommandReceipt, ...)` for the one record every event makes, with its fields written in order."""
    return _constructed(CommandReceipt, {"type": type, "version": version, "status": status, "events": events,
                                         "fingerprint": fingerprint}, set(_RECEIPT_FIELDS))


class _FrozenValues:
    """Validated frozen values (documents, plans, advice) by their JSON: a grant's ApplicationSubmitted is
    replayed on every load of the grant, and validating its documents costs more than the rest of the load.
    The values are immutable (`frozen=True`, never mutated), so one instance can serve every state."""

    def __init__(self, model: type[M], maxsize: int = 256):
        self.model = model
        self.maxsize = maxsize
        self.values: dict[bytes, Any] = {}

    def __call__(self, data: dict[str, Any]) -> Any:
        try:
            key = orjson.dumps(data)
        except TypeError:  # not plain JSON: validate it as it is
            return self.model.model_validate(data)
        value = self.values.get(key)
        if value is None:
            value = self.model.model_validate(data)
            if len(self.values) >= self.maxsize:
                self.values.pop(next(iter(self.values)), None)
            self.values[key] = value
        return value


_documents = _FrozenValues(ApplicationDocuments)
_extension_plan = _FrozenValues(ExtensionPlan)
_penvoerder = _FrozenValues(Penvoerder, 1024)
_partner = _FrozenValues(Partner, 4096)
_criterion = _FrozenValues(CriterionAdvice)
