"""The data converter of the engine's clients and workers: pydantic's, with one cache of TypeAdapters per process.

`temporalio.contrib.pydantic`'s converter (the same JSON on the wire, so histories and the other processes' payloads
read alike). The SDK makes a new payload converter for every workflow instance, each with a cache of its own, so
every grant workflow built its own TypeAdapters for its input and for each activity result it decoded (about 0.4 ms
of CPU each, and their memory while the workflow is cached): at a burst of deadlines, one for CommandResult in
every grant (issue 25). A TypeAdapter does not change once built and may be shared between threads.
"""

from __future__ import annotations

import functools

from pydantic import TypeAdapter
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import DataConverter

shared_type_adapter = functools.lru_cache(maxsize=1024)(TypeAdapter)


class SharedAdaptersPayloadConverter(PydanticPayloadConverter):
    def __init__(self) -> None:
        super().__init__()
        for converter in self.converters.values():
            if isinstance(converter, PydanticJSONPlainPayloadConverter):
                converter._type_adapter = shared_type_adapter  # the class's own cache, shared


DATA_CONVERTER = DataConverter(payload_converter_class=SharedAdaptersPayloadConverter)
