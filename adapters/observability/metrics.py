"""The engine's metrics, in one registry per process, served as Prometheus text: by `sto serve` at `/metrics` (beside
its API), by `sto worker --metrics-port`.

Counted where they happen, once each:
- `sto_commands_total{command, outcome}` and `sto_command_duration_seconds{command}`: every operator command sent
  through the engine client (adapters/engine/sender.py, used by the API and the CLI); the outcome is `applied`,
  `duplicate` (a retry, answered from the receipt) or the kind of error (`transition_refused`, `invalid_input`,
  `grant_busy`, `outcome_unknown`, ...: adapters/operators/error_table.py);
- `sto_refusals_total{rule}`: the refused ones, per rule of the domain;
- `sto_commands_executed_total{command, outcome}`: what the worker's activities executed, the workflows'
  consequences of passed deadlines included (adapters/engine/activities.py).
Read from the store in the background, at most every `ttl` seconds, and answered from the last reading (a scrape
never waits for the store; `sto_scrape_errors_total` counts readings that failed): projection lag, quarantined
records, webhook deliveries per state (pending: the backlog; dead: dead letters), deadlines due per day ahead, and
letters owed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()  # the store's gauges are read when scraped, never when registered

COMMANDS = Counter("sto_commands", "Operator commands sent through the engine, by command and outcome",
                   ["command", "outcome"], registry=REGISTRY)
REFUSALS = Counter("sto_refusals", "Commands refused by a rule of the domain, by rule", ["rule"], registry=REGISTRY)
COMMAND_SECONDS = Histogram("sto_command_duration_seconds", "Time from sending an operator command to its answer",
                            ["command"], registry=REGISTRY,
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
EXECUTED = Counter("sto_commands_executed", "Commands the worker's activities executed (operators' and consequences)",
                   ["command", "outcome"], registry=REGISTRY)
SCRAPE_ERRORS = Counter("sto_scrape_errors", "Sources of the store's gauges that failed when scraped", ["source"],
                        registry=REGISTRY)


def outcome_of(error: BaseException | None, duplicate: bool = False) -> str:
    if error is None:
        return "duplicate" if duplicate else "applied"
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else "error"


@contextmanager
def command_observed(command: str) -> Iterator[Callable[[bool], None]]:
    """Around sending one operator command: counts it with its outcome and times it. Call the yielded function
    with the answer's `duplicate` flag when the command was answered."""
    started = time.perf_counter()
    answered: list[bool] = []
    try:
        yield answered.append
    except BaseException as error:
        COMMANDS.labels(command, outcome_of(error)).inc()
        rule = getattr(error, "rule", None)
        if isinstance(rule, str):
            REFUSALS.labels(rule).inc()
        raise
    else:
        COMMANDS.labels(command, outcome_of(None, bool(answered and answered[-1]))).inc()
    finally:
        COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)


Source = Callable[[], dict[str, Any]]


@dataclass(eq=False)  # registered by identity
class StoreGauges(Collector):
    """Gauges read from the store and the views. Each source returns plain numbers (see `collect`). A scrape answers
    from the last reading and, when that is older than `ttl` seconds (or there is none yet), starts one new reading
    in the background: a source that is slow (every grant's letters, a rebuild holding the views) never holds a
    scrape up, and never runs twice at once. A source not read yet is left out; one that fails is counted."""

    sources: dict[str, Source]
    ttl: float = 30.0
    _cache: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _reading: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _read(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            cached = self._cache.get(name)
            stale = cached is None or time.monotonic() - cached[0] >= self.ttl
            if stale and name not in self._reading:
                self._reading.add(name)
                threading.Thread(target=self._refresh, args=(name,), name=f"metrics-{name}", daemon=True).start()
        return cached[1] if cached else None

    def _refresh(self, name: str) -> None:
        try:
            value = self.sources[name]()
        except Exception:  # noqa: BLE001 - a reading that fails is counted; the last one stays
            SCRAPE_ERRORS.labels(name).inc()
            value = None
        with self._lock:
            if value is not None:
                self._cache[name] = (time.monotonic(), value)
            self._reading.discard(name)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if "views" in self.sources and (views := self._read("views")) is not None:
            yield GaugeMetricFamily("sto_projection_lag_events", "Events stored but not yet in the read models",
                                    value=views["lag"])
            yield GaugeMetricFamily("sto_quarantined_records", "Records the read models could not project",
                                    value=views["quarantined_records"])
        if "webhooks" in self.sources and (hooks := self._read("webhooks")) is not None:
            family = GaugeMetricFamily("sto_webhook_deliveries", "Webhook deliveries by state (pending: the backlog; "
                                       "dead: dead letters waiting for a redeliver)", labels=["state"])
            for state, count in sorted(hooks.items()):
                family.add_metric([state], count)
            yield family
        if "deadlines" in self.sources and (due := self._read("deadlines")) is not None:
            family = GaugeMetricFamily("sto_deadlines_due", "Deadlines of running grants due on a day ahead "
                                       "(business days from today: 0 is today)", labels=["days_ahead"])
            for days, count in sorted(due.items()):
                family.add_metric([str(days)], count)
            yield family
        if "letters" in self.sources and (letters := self._read("letters")) is not None:
            yield GaugeMetricFamily("sto_letters_owed", "Besluiten whose decision letter is not made yet",
                                    value=letters["owed"])
