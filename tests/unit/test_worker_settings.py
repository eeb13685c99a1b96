"""A worker keeps at least one grant in memory: with none, the SDK loses workflow tasks (10 s each)."""

from __future__ import annotations

import pytest

from adapters.engine.temporal import MIN_CACHED_WORKFLOWS, build_worker


@pytest.mark.parametrize("cached", [0, -1])
def test_a_worker_that_would_keep_no_grant_in_memory_is_refused_with_what_to_give(cached):
    with pytest.raises(ValueError, match="at least 1 grant in memory.*give 1 or more"):
        build_worker(None, None, None, max_cached_workflows=cached)  # type: ignore[arg-type]
    assert MIN_CACHED_WORKFLOWS == 1
