"""A synthetic agency for the benchmarks of issue 25: 100,000 grants over 20 schemes, about a million events.

The schemes are copies of the fictional test scheme (tests/fixtures/schemes/fictional-2027.toml), scheme k
with every year from 2025 to 2031 moved k years on (its dates, its funded years, its plan's key), an id of its
own (`bench-agency-KK`) and a budget ceiling no one reaches (the fictional pilot's is a few regions' worth).
Region r (STO-A00000 ...) has one grant in every scheme; each grant lives one of LIVES, drawn by the seed.

How it is built, fast and honestly:

1. The store is opened first (its installation facts are recorded now, as in a new installation).
2. Templates: for every scheme and every life, one grant of a template region (its code and place name are
   markers) is driven through the real GrantService (in memory) with the real commands. The records it
   stores, the grant's and the budget pool's, are the template.
3. Clones: every grant of the agency is a template's records with the markers replaced by the region's code
   (also in lower case: its e-mail address) and place name, stored under the grant's own id
   (`schemes.grant_id`); its command ids are made its own (uuid5 of the grant id and the template's command id)
   and so are its command fingerprints (a hash of the template's and the grant id: no client ever sent these
   commands, so no retry can compare against them). The pool's Reserved records get the pool's next versions.
   Records go in the order of a scheme's calendar: every grant's first command, then every grant's second ...
4. Written through the store's own recorder (`insert_events`, which seals each record) in batches of BATCH.

`verify` then drives a sample of the agency's grants through the real service with the real commands (the
clone's region: the template region with the grant's code and place) and holds the engine's state of each,
read from the built store, equal to the real one, and its events' fields too, but for the timestamps, command
ids and fingerprints named above.

The store is cached under bench-results/agency/ (git ignores bench-results/) by its seed, size and a digest
of what builds it (the building functions of this file, the fictional scheme, the domain's tree in git): built once, read by every run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

from tests.benchmarks.common import REPO

SCHEMES = 20
GRANTS = 100_000
SEED = 25
BATCH = 5000
CACHE = REPO / "bench-results" / "agency"
FICTIONAL_FILE = REPO / "tests" / "fixtures" / "schemes" / "fictional-2027.toml"
FORMAT = 1  # raise when what is built changes in a way the digest does not see

CODE_MARK = "ZZTPLCODEZZ"
PLACE_MARK = "Zztplplacezz"
CODE_HEX = "feedfacefeedfacefeedfacefeedface"  # the template grant's id in its ledger's records, until cloned

# life -> (weight in 100, what happens); about 10 records a grant on average, the pool's included
LIVES: dict[str, int] = {
    "pre_registered": 2, "lapsed": 3, "applied": 3, "advised": 4, "rejected": 6, "approved": 8,
    "reporting": 22, "determined": 52,
}


def scheme_id(k: int) -> str:
    return f"bench-agency-{k:02d}"


def region_code(r: int) -> str:
    return f"STO-A{r:05d}"


def place_of(r: int) -> str:
    from adapters.replay.synthetic import PLACES

    return f"{PLACES[r % len(PLACES)]} {r // len(PLACES) + 1}"


# --- the schemes ---------------------------------------------------------------------------------------------


def scheme_text(k: int) -> str:
    """The fictional scheme moved k years on, with an id of its own and a ceiling no one reaches."""
    text = FICTIONAL_FILE.read_text(encoding="utf-8")
    text = re.sub(r"(?<![0-9])20(2[5-9]|3[01])(?![0-9])", lambda m: str(int(m.group(0)) + k), text)
    text, n = re.subn(r'(?m)^id = "fictief-\d{4}-\d{4}"$', f'id = "{scheme_id(k)}"', text)
    assert n == 1, "the fictional scheme's id line moved"
    text, n = re.subn(r'(key = "plafond_proeftuin_techniekregio"[\s\S]*?value = \{)([^}]*)\}',
                      lambda m: m.group(1) + re.sub(r"= \d+", "= 90000000000000", m.group(2)) + "}", text, count=1)
    assert n == 1, "the fictional scheme's ceiling moved"
    return text


def write_schemes(directory: Path, count: int = SCHEMES) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for k in range(count):
        path = directory / f"{scheme_id(k)}.toml"
        text = scheme_text(k)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return directory


def use_schemes(directory: Path) -> None:
    """This process reads the agency's schemes too (STO_SCHEMES_PATH, the registry read again)."""
    from domain.regulation.schemes import SCHEMES_PATH, infos, reload_schemes

    if os.environ.get(SCHEMES_PATH) != str(directory):
        os.environ[SCHEMES_PATH] = str(directory)
        reload_schemes()
        infos()


# --- the lives, as real commands ------------------------------------------------------------------------------


def _region(template: Any, code: str, place: str) -> Any:
    """`template` (a SyntheticRegion) with another code and place name."""
    from domain.models import Partner, Penvoerder

    def moved(text: str) -> str:
        return text.replace(PLACE_MARK, place)

    return dataclasses.replace(
        template, code=code, name=moved(template.name),
        penvoerder=Penvoerder(name=moved(template.penvoerder.name), bevoegd_gezag=template.penvoerder.bevoegd_gezag,
                              email=f"penvoerder@{code.lower()}.sto.example"),
        mbo_institutions=[moved(m) for m in template.mbo_institutions],
        partners=[Partner(name=moved(p.name), kind=p.kind) for p in template.partners],
    )


def template_region(k: int, life: str) -> Any:
    """The template region of scheme k and a life: a synthetic region's schools, its code and place as markers."""
    from adapters.replay.synthetic import synthetic_region
    from domain.values import RegionKind

    index = 1 + k * len(LIVES) + list(LIVES).index(life)
    base = synthetic_region(index, kind=RegionKind.TECHNIEKREGIO)
    place = base.name.removeprefix("STO ")
    from domain.models import Partner, Penvoerder

    # every text of the synthetic region made from its code or place gets the marker instead
    return dataclasses.replace(
        base, code=CODE_MARK, name=f"STO {PLACE_MARK}",
        penvoerder=Penvoerder(name=f"Stichting Voortgezet Onderwijs {PLACE_MARK}",
                              bevoegd_gezag=base.penvoerder.bevoegd_gezag,
                              email=f"penvoerder@{CODE_MARK.lower()}.sto.example"),
        mbo_institutions=[f"ROC {PLACE_MARK}"],
        partners=[Partner(name=p.name.replace(place, PLACE_MARK), kind=p.kind) for p in base.partners],
    )


def clone_region(k: int, life: str, r: int) -> Any:
    return _region(template_region(k, life), region_code(r), place_of(r))


def run_life(service: Any, region: Any, k: int, life: str) -> None:
    """Drive one grant of scheme k through `life` with the real commands (dates moved k years on)."""
    from adapters.replay.synthetic import application_documents, extension_plan
    from domain import commands as c
    from domain.models import CriterionAdvice
    from tests.support.scripted import GrantScript, at, years

    per_year = {2027 + k: 100_000_00, 2028 + k: 100_000_00, 2029 + k: 100_000_00}
    script = GrantScript(service, index=region.index, kind=region.kind, per_year=dict(per_year))
    script.region = region
    scheme = scheme_id(k)

    def send(cls: type, when: dt.datetime, **fields: Any) -> None:
        script.send(cls, when, scheme=scheme, **fields)

    def y(year: int, month: int, day: int) -> dt.datetime:
        return at(year + k, month, day)

    fields = region.vooraanmelding_fields()
    fields.pop("region_code")
    send(c.SubmitVooraanmelding, y(2026, 7, 1), **fields)
    if life == "pre_registered":
        return
    if life == "lapsed":
        send(c.ApplyDeadlineConsequence, y(2026, 10, 16), deadline_key="aanvraagtijdvak_1", actor=c.SYSTEM_ACTOR)
        return
    send(c.SubmitApplication, y(2026, 9, 20), period=1,
         documents=application_documents(region, per_year, cofinancing_share=Decimal("0.16")))
    if life == "applied":
        return
    send(c.AcceptApplication, y(2026, 9, 21))
    positive = life != "rejected"
    judgement = "sufficient" if positive else "insufficient"
    send(c.RecordAdvice, y(2026, 11, 20), positive=positive,
         criteria=[CriterionAdvice(criterion="regiovisie", judgement=judgement, remark="")])
    if life == "advised":
        return
    if life == "rejected":
        send(c.RejectApplication, y(2026, 12, 1), reasons=["regiovisie onvoldoende uitgewerkt"])
        return
    send(c.ApproveGrant, y(2026, 12, 1), granted_per_year=years(per_year))
    send(c.ApplyDeadlineConsequence, y(2027, 1, 20), deadline_key="objection_period:1", actor=c.SYSTEM_ACTOR)
    if life == "approved":
        return
    send(c.SubmitDetailedPlan, y(2027, 4, 20), plan_key=str(2027 + k),
         plan=extension_plan(region, 90_000_00, year=2027 + k))
    send(c.SubmitProgressReport, y(2028, 3, 15), number=1, summary="op koers", spent_cents=100_000_00,
         cofinancing_realised_cents=10_000_00)
    if life == "reporting":
        return
    send(c.ApplyDeadlineConsequence, y(2030, 1, 2), deadline_key="einde_subsidieperiode", actor=c.SYSTEM_ACTOR)
    send(c.SubmitFinalReport, y(2030, 1, 10), summary="afgerond", realised_per_year=years(per_year),
         cofinancing_realised_cents=50_000_00)
    send(c.DetermineGrant, y(2030, 1, 15))
    send(c.ApplyDeadlineConsequence, y(2030, 3, 1), deadline_key="objection_period:2", actor=c.SYSTEM_ACTOR)


def life_of(seed: int, k: int, r: int) -> str:
    rng = random.Random(f"{seed}:{k}:{r}")
    return rng.choices(list(LIVES), weights=list(LIVES.values()))[0]


# --- templates and clones ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Template:
    commands: list[list[tuple[str, str, bytes]]]  # per command: (kind "grant"/"pool", topic, state)
    command_ids: list[str]  # the template's command ids (hex), replaced per clone
    fingerprints: list[str]


def make_templates(k: int) -> tuple[dict[str, Template], uuid.UUID, tuple[str, bytes]]:
    """The templates of scheme k (one per life), the scheme's budget pool id and its Opened record."""
    from adapters.event_store.store import open_service
    from domain.ledger.aggregate import ledger_id
    from domain.regulation import schemes

    templates: dict[str, Template] = {}
    pool_id: uuid.UUID | None = None
    opened: tuple[str, bytes] | None = None
    for life in LIVES:  # each in a store of its own: a region pre-registers once per scheme
        service = open_service("memory:")
        seen = service.recorder.max_notification_id() or 0
        run_life(service, template_region(k, life), k, life)
        grant = schemes.grant_id(CODE_MARK, scheme_id(k))
        records = service.recorder.select_notifications(seen + 1, 10_000)
        seen = records[-1].id
        ledger = ledger_id(grant)
        for n in records:  # the clones replace the markers: nothing else may name the template grant
            if n.originator_id == ledger:  # but its ledger (issue 24), whose Opened names it: cloned with it
                continue
            assert grant.hex.encode() not in n.state and str(grant).encode() not in n.state, n.topic
        commands: list[list[tuple[str, str, bytes]]] = []
        for n in records:
            state = bytes(n.state)
            if n.originator_id == grant:
                commands.append([("grant", n.topic, state)])
            elif n.topic.endswith("BudgetPool.Opened"):
                pool_id, opened = n.originator_id, (n.topic, state)
            elif "BudgetPool" in n.topic:
                pool_id = n.originator_id
                commands[-1].append(("pool", n.topic, state))
            elif n.originator_id == ledger:  # the grant's money ledger, written with the command's besluit
                commands[-1].append(("ledger", n.topic, state.replace(grant.hex.encode(), CODE_HEX.encode())))
            else:
                raise AssertionError(f"a template wrote a record of another kind: {n.topic}")
        ids, fingerprints = [], []
        for command in commands:
            for _, _, state in command:
                found = json.loads(state)
                cid = (found.get("command_id") or {}).get("_data_")
                if cid and cid not in ids:
                    ids.append(cid)
                fp = found.get("command_fingerprint")
                if fp and fp not in fingerprints:
                    fingerprints.append(fp)
        templates[life] = Template(commands, ids, fingerprints)
        service.close()
    assert pool_id is not None and opened is not None
    return templates, pool_id, opened


def _cloner(template: Template, grant_id: uuid.UUID, code: str, place: str) -> Callable[[bytes], bytes]:
    pairs = [(CODE_MARK.encode(), code.encode()), (CODE_MARK.lower().encode(), code.lower().encode()),
             (PLACE_MARK.encode(), place.encode())]
    for cid in template.command_ids:
        pairs.append((cid.encode(), uuid.uuid5(grant_id, cid).hex.encode()))
    for fp in template.fingerprints:
        pairs.append((fp.encode(), hashlib.md5(f"{fp}:{grant_id.hex}".encode()).hexdigest().encode()))

    def clone(state: bytes) -> bytes:
        for old, new in pairs:
            if old in state:
                state = state.replace(old, new)
        return state

    return clone


def agency_records(grants: int, seed: int, k: int, templates: dict[str, Template], pool_id: uuid.UUID,
                   opened: tuple[str, bytes]) -> Iterator[tuple[uuid.UUID, int, str, bytes]]:
    """Scheme k's records, in the order of its calendar: every grant's first command, then every second, ..."""
    from domain.ledger.aggregate import ledger_id
    from domain.regulation import schemes

    regions = grants // SCHEMES + (1 if k < grants % SCHEMES else 0)
    scheme = scheme_id(k)
    lives = [(r, life_of(seed, k, r)) for r in range(regions)]
    ids = [schemes.grant_id(region_code(r), scheme) for r, _ in lives]
    clones = [_cloner(templates[life], ids[i], region_code(r), place_of(r)) for i, (r, life) in enumerate(lives)]
    pool_version = 0
    ledgers = [0] * len(lives)  # each grant's ledger's version
    longest = max(len(t.commands) for t in templates.values())
    for step in range(longest):
        for i, (r, life) in enumerate(lives):
            commands = templates[life].commands
            if step >= len(commands):
                continue
            for kind, topic, state in commands[step]:
                if kind == "grant":
                    yield ids[i], step + 1, topic, clones[i](state)
                elif kind == "ledger":
                    ledgers[i] += 1
                    yield ledger_id(ids[i]), ledgers[i], topic, clones[i](state.replace(CODE_HEX.encode(),
                                                                                       ids[i].hex.encode()))
                else:
                    if pool_version == 0:
                        pool_version = 1
                        yield pool_id, 1, opened[0], opened[1]
                    pool_version += 1
                    yield pool_id, pool_version, topic, clones[i](state)


# --- the store, built and cached -------------------------------------------------------------------------------


def digest() -> str:
    import inspect

    h = hashlib.sha256()
    for part in (scheme_text, template_region, _region, run_life, life_of, make_templates, _cloner, agency_records,
                 build, region_code, place_of, scheme_id):  # what builds the store, not what reads or checks it
        h.update(inspect.getsource(part).encode())
    h.update(repr((LIVES, SCHEMES, CODE_MARK, PLACE_MARK)).encode())
    h.update(FICTIONAL_FILE.read_bytes())
    tree = subprocess.run(["git", "rev-parse", "HEAD:domain"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "domain"], cwd=REPO, capture_output=True,
                           text=True).stdout
    h.update(f"{FORMAT}:{tree}:{dirty}".encode())
    return h.hexdigest()[:12]


@dataclasses.dataclass
class Agency:
    path: Path  # the SQLite event store
    grants: int
    seed: int
    events: int  # records in the store, the installation's and the pools' included
    build_seconds: float | None  # None: read from the cache
    schemes_dir: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def build(path: Path, grants: int, seed: int, progress: Callable[[str], None] = print) -> int:
    """Build the agency's SQLite store at `path` (a new file): returns how many records it holds."""
    from adapters.event_store.store import open_service
    from eventsourcing.persistence import StoredEvent

    service = open_service(f"sqlite:///{path}")  # the installation first, as in a new installation
    recorder = service.recorder
    batch: list[StoredEvent] = []
    written = 0
    for k in range(SCHEMES):
        templates, pool_id, opened = make_templates(k)
        for originator, version, topic, state in agency_records(grants, seed, k, templates, pool_id, opened):
            batch.append(StoredEvent(originator_id=originator, originator_version=version, topic=topic, state=state))
            if len(batch) == BATCH:
                recorder.insert_events(batch)
                written += len(batch)
                batch = []
        progress(f"  agency: scheme {k + 1}/{SCHEMES} written ({written + len(batch):,} records)")
    if batch:
        recorder.insert_events(batch)
        written += len(batch)
    total = recorder.max_notification_id()
    service.close()
    return int(total)


def cached(grants: int = GRANTS, seed: int = SEED, progress: Callable[[str], None] = print) -> Agency:
    """The agency's store from the cache, built first when it is not there."""
    schemes_dir = write_schemes(CACHE / "schemes")
    use_schemes(schemes_dir)
    name = f"agency-s{seed}-g{grants}-{digest()}"
    path = CACHE / f"{name}.sqlite"
    manifest = CACHE / f"{name}.json"
    if path.exists() and manifest.exists():
        found = json.loads(manifest.read_text())
        return Agency(path, grants, seed, found["events"], None, schemes_dir)
    for old in CACHE.glob(f"agency-s{seed}-g{grants}-*"):
        old.unlink()
    partial = CACHE / f"{name}.partial.sqlite"
    for leftover in CACHE.glob(f"{name}.partial.sqlite*"):
        leftover.unlink()
    started = time.perf_counter()
    progress(f"  agency: building {grants:,} grants over {SCHEMES} schemes (seed {seed}) in {path}")
    events = build(partial, grants, seed, progress)
    seconds = time.perf_counter() - started
    connection = sqlite3.connect(partial)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    partial.replace(path)
    for leftover in CACHE.glob(f"{name}.partial.sqlite*"):
        leftover.unlink()
    manifest.write_text(json.dumps({"grants": grants, "seed": seed, "events": events, "build_seconds": seconds,
                                    "built_at": dt.datetime.now(dt.timezone.utc).isoformat()}))
    progress(f"  agency: {events:,} records in {seconds:.0f} s")
    return Agency(path, grants, seed, events, seconds, schemes_dir)


def copy_store(agency: Agency, url: str, progress: Callable[[str], None] = print) -> int:
    """Copy the agency's records, in order, into the (new) store at `url` (PostgreSQL) through its recorder,
    in batches: its own installation facts stay, the agency's are left out. Returns the records copied."""
    from adapters.event_store.store import open_service
    from eventsourcing.persistence import StoredEvent

    service = open_service(url)
    installation = {n.originator_id for n in service.recorder.select_notifications(1, 100)}
    source = sqlite3.connect(f"file:{agency.path}?mode=ro", uri=True)
    position, copied = 0, 0
    while True:
        rows = source.execute("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                              "WHERE rowid > ? ORDER BY rowid LIMIT ?", (position, BATCH)).fetchall()
        if not rows:
            break
        position = rows[-1][0]
        batch = [StoredEvent(originator_id=uuid.UUID(o), originator_version=v, topic=t, state=bytes(s))
                 for _, o, v, t, s in rows if uuid.UUID(o) not in installation]
        if batch:
            service.recorder.insert_events(batch)
            copied += len(batch)
        if copied and copied % (BATCH * 40) < BATCH:
            progress(f"  agency: {copied:,} records copied")
    source.close()
    service.close()
    return copied


# --- the check ------------------------------------------------------------------------------------------------


_VOLATILE_EVENT_FIELDS = ("timestamp", "command_id", "command_fingerprint")


def _state_view(state: Any) -> dict[str, Any]:
    """A grant's state as plain values, without what differs between two stores by nature: the ids and
    fingerprints of its commands (kept as a list of receipts), when its besluiten were recorded, and the
    installation's moment from which letters are owed."""
    data = state.model_dump(mode="json")
    data["commands"] = [{k: v for k, v in receipt.items() if k != "fingerprint"} for receipt in data["commands"].values()]
    for besluit in data.get("besluiten", []):
        besluit.pop("recorded_at", None)
    data.pop("letters_owed_from", None)
    return data


def _events_view(service: Any, code: str, scheme: str) -> list[dict[str, Any]]:
    from projections.payloads import make_decoder

    decode = make_decoder(service.mapper)
    out = []
    grant = service.state(code, scheme=scheme).grant_id
    for stored in service.recorder.select_events(grant):
        fields = decode(stored.state)
        out.append({"topic": stored.topic, "version": stored.originator_version,
                    **{k: v for k, v in fields.items() if k not in _VOLATILE_EVENT_FIELDS}})
    return out


def verify(agency: Agency, sample: int = 24, url: str | None = None) -> dict[str, Any]:
    """Drive `sample` of the agency's grants (every life, spread over the schemes) through the real service and
    compare each with the engine's state and events of it in the store at `url` (default: the agency's)."""
    from adapters.event_store.store import open_service

    store = open_service(url or agency.url)
    rng = random.Random(agency.seed)
    per_scheme = [agency.grants // SCHEMES + (1 if k < agency.grants % SCHEMES else 0) for k in range(SCHEMES)]
    wanted: dict[str, tuple[int, int]] = {}
    tries = 0
    while len(wanted) < min(sample, len(LIVES)) and tries < 100_000:  # one of every life first
        tries += 1
        k = rng.randrange(SCHEMES)
        r = rng.randrange(per_scheme[k])
        wanted.setdefault(life_of(agency.seed, k, r), (k, r))
    picks = list(wanted.items())
    while len(picks) < sample:
        k = rng.randrange(SCHEMES)
        r = rng.randrange(per_scheme[k])
        picks.append((life_of(agency.seed, k, r), (k, r)))
    mismatches: list[str] = []
    for life, (k, r) in picks:
        real = open_service("memory:")
        run_life(real, clone_region(k, life, r), k, life)
        code, scheme = region_code(r), scheme_id(k)
        expected, found = _state_view(real.state(code, scheme=scheme)), _state_view(store.state(code, scheme=scheme))
        if expected != found:
            differing = sorted(key for key in expected if expected.get(key) != found.get(key))
            mismatches.append(f"{scheme} {code} ({life}): state differs in {differing}")
        if _events_view(real, code, scheme) != _events_view(store, code, scheme):
            mismatches.append(f"{scheme} {code} ({life}): events differ")
        real.close()
    store.close()
    return {"checked": len(picks), "lives": sorted({life for life, _ in picks}), "mismatches": mismatches}


def remove_cache() -> None:
    shutil.rmtree(CACHE, ignore_errors=True)


if __name__ == "__main__":  # python -m tests.benchmarks.agency [GRANTS]: build (or find) and check it
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else GRANTS
    found = cached(size)
    print(found)
    print(verify(found))
