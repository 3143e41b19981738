"""Load: a live `commons serve` under 8 submitters and 8 readers at once, then an audit of the graph.

One `commons serve` on fresh embedded stores, the default dictionary, access
enforced by a policy with 16 users, each client holding its own API key:
- 8 writers, two per project over 4 projects. The two of a project draw
  from the same 60 subject numbers, so they upsert the same submitter_ids
  (a subject, its sample, its demographic) at the same moments: PUT batches
  of 4 subjects with their sample and demographic (12 entities), the
  sample's sample_type changed each time. One batch in eight also carries a
  subject nobody else names and a sample with a sample_type the dictionary
  does not allow, so it must be refused whole. One request in five creates
  an index record instead.
- 8 readers, in turn: a peregrine GraphQL query (subjects with their
  samples and demographics, a count), a guppy aggregation (a histogram of
  sample_type), an index listing (one project's records) and a DRS object
  read (a record a writer was told was created).

Then the graph itself is read and checked against what the clients were
told: every entity answered as written exists exactly once, with the id
the answer gave (`lost` counts those missing, `duplicated` the extra nodes
of one submitter_id); nothing exists that no successful answer named
(`half_written`: a refused batch's fresh subject, say); each sample and
demographic links to exactly its own subject and each subject to its study,
and no subject has two demographics (`bad_links`); peregrine's counts per
type per project equal the graph's (`miscounted`); every index record a
writer was told of answers (else it is `lost` too). An invalid batch
answered as written counts as `half_written`. Requests that got no answer
(timeouts) leave their entities undecided, counted in `unanswered`; a valid
batch refused with a 4xx is counted in `refused_valid`.

`writes_per_s` counts the write requests answered 2xx (submission batches
and index records) per second of load, `entities_per_s` the entities in
those batches; `read_p95_ms` is over the reads answered 200 without errors.

Usage: python tests/bench/bench_load.py [--seconds 60]
Ends with: BENCH load writes_per_s=... entities_per_s=... reads_per_s=... read_p95_ms=...
errors_5xx=... lost=... duplicated=... half_written=... bad_links=... miscounted=...
read_errors=... unanswered=... refused_valid=...; exits 1 unless every figure
from errors_5xx to unanswered is 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.auth.authority import Authority  # noqa: E402
from engine.auth.client import ApiKeyAuth  # noqa: E402
from engine.auth.policy_store import save_policy  # noqa: E402
from engine.config import load_settings  # noqa: E402
from engine.graph.store import GraphStore  # noqa: E402
from engine.stores import open_command_graph  # noqa: E402
from tests.bench.serving import running_commons  # noqa: E402

PROGRAM = "load"
PROJECTS = [f"p{i}" for i in range(4)]
WRITERS_PER_PROJECT = 2
READERS = 8
POOL = 60  # subject numbers the two writers of a project share: few, so they collide often
SUBJECTS_PER_BATCH = 4
DOOMED_EVERY = 8  # one batch in this many carries an invalid entity and must be refused whole
RECORD_EVERY = 5  # one write in this many creates an index record
TIMEOUT = 30.0
SUBMISSION = "/api/v0/submission"
SAMPLE_TYPES = ["Primary Tumor", "Metastatic", "Solid Tissue Normal", "Blood Derived Normal"]
# (node type, the type its one link points at): what the audit counts and checks the links of.
CHECKED = [("subject", "study"), ("sample", "subject"), ("demographic", "subject")]
Key = tuple[str, str, str]  # (project_id, node type, submitter_id)


def project_path(code: str) -> str:
    return f"/programs/{PROGRAM}/projects/{code}"


def project_id(code: str) -> str:
    return f"{PROGRAM}-{code}"


def writer_name(number: int) -> str:
    return f"writer-{number}@example.org"


def reader_name(number: int) -> str:
    return f"reader-{number}@example.org"


def policy() -> dict[str, Any]:
    """Each writer submits to its project only; readers read every project."""

    def role(role_id: str, actions: Iterable[tuple[str, str]]) -> dict[str, Any]:
        permissions = [
            {"id": f"{service}-{method}", "action": {"service": service, "method": method}}
            for service, method in actions
        ]
        return {"id": role_id, "permissions": permissions}

    reads = [(s, "read") for s in ("sheepdog", "peregrine", "guppy", "indexd")]
    writes = [(s, "*") for s in ("sheepdog", "indexd", "fence")]
    policies = [
        {"id": "reader", "role_ids": ["reader"], "resource_paths": [f"/programs/{PROGRAM}"]}
    ] + [
        {"id": f"{code}_submitter", "role_ids": ["reader", "submitter"], "resource_paths": [path]}
        for code, path in ((code, project_path(code)) for code in PROJECTS)
    ]
    users = {reader_name(n): {"policies": ["reader"]} for n in range(READERS)}
    for number in range(len(PROJECTS) * WRITERS_PER_PROJECT):
        code = PROJECTS[number // WRITERS_PER_PROJECT]
        users[writer_name(number)] = {"policies": [f"{code}_submitter"]}
    projects = [{"name": code} for code in PROJECTS]
    program = {"name": PROGRAM, "subresources": [{"name": "projects", "subresources": projects}]}
    return {
        "authz": {
            "anonymous_policies": [],
            "all_users_policies": [],
            "resources": [{"name": "programs", "subresources": [program]}],
            "roles": [
                role("reader", [*reads, ("fence", "read-storage")]),
                role("submitter", writes),
            ],
            "policies": policies,
        },
        "users": users,
    }


@dataclass
class Ledger:
    """What the clients were told, shared by all of them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    told: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    unanswered: set[Key] = field(default_factory=set)
    records: list[str] = field(default_factory=list)
    writes: int = 0
    entities: int = 0
    refused_valid: list[str] = field(default_factory=list)
    doomed_accepted: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    reads: int = 0
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    read_ms: list[float] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)
    errors_5xx: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def answered(self, what: str, response: httpx.Response) -> bool:
        """Counts the status; True for a 2xx. A 5xx is noted with its body."""
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.errors_5xx.append(f"{what}: {response.status_code} {response.text[:300]}")
        return response.is_success


def milliseconds(response: httpx.Response) -> float:
    """From sending the request to the end of the answer."""
    return response.elapsed.total_seconds() * 1000


def send(
    ledger: Ledger, what: str, request: Callable[..., httpx.Response], *args: Any, **kwargs: Any
) -> httpx.Response | None:
    """`request(*args, **kwargs)`, or None when no answer came in time (noted as a timeout);
    the time it took is noted under `what`."""
    try:
        response = request(*args, **kwargs)
    except httpx.TimeoutException:
        with ledger.lock:
            ledger.timeouts.append(what)
        return None
    with ledger.lock:
        ledger.latency[what].append(milliseconds(response))
    return response


def batch(rng: random.Random, doomed: str | None) -> list[dict[str, Any]]:
    """Subjects drawn from the shared pool, each with its sample and demographic; with `doomed`,
    a fresh subject and a sample the dictionary refuses."""
    docs: list[dict[str, Any]] = []
    for number in rng.sample(range(POOL), SUBJECTS_PER_BATCH):
        subject = f"subject-{number}"
        link = {"submitter_id": subject}
        docs += [
            {"type": "subject", "submitter_id": subject, "studies": {"submitter_id": "study-1"}},
            {
                "type": "sample",
                "submitter_id": f"sample-{number}",
                "sample_type": rng.choice(SAMPLE_TYPES),
                "subjects": link,
            },
            {"type": "demographic", "submitter_id": f"demographic-{number}", "subjects": link},
        ]
    if doomed:
        docs += [
            {"type": "subject", "submitter_id": doomed, "studies": {"submitter_id": "study-1"}},
            {
                "type": "sample",
                "submitter_id": f"{doomed}-sample",
                "sample_type": "not a sample type",
                "subjects": {"submitter_id": doomed},
            },
        ]
    return docs


def submit(client: httpx.Client, ledger: Ledger, code: str, docs: list[dict], doomed: bool) -> None:
    keys = [(project_id(code), doc["type"], doc["submitter_id"]) for doc in docs]
    response = send(ledger, "PUT", client.put, f"{SUBMISSION}/{PROGRAM}/{code}", json=docs)
    success = response is not None and ledger.answered("PUT", response)
    if response is None or response.status_code >= 500:
        with ledger.lock:
            ledger.unanswered.update(keys)  # whether any of it was written is unknown
        return
    if not success:
        if not doomed:
            with ledger.lock:
                ledger.refused_valid.append(f"{response.status_code} {response.text[:300]}")
        return
    entities = response.json()["entities"]
    with ledger.lock:
        if doomed:
            ledger.doomed_accepted.append(docs[-1]["submitter_id"])
        for entity in entities:
            sid = entity["unique_keys"][0]["submitter_id"]
            ledger.told[(project_id(code), entity["type"], sid)].add(entity["id"])
        ledger.writes += 1
        ledger.entities += len(entities)


def create_record(client: httpx.Client, ledger: Ledger, code: str, rng: random.Random) -> None:
    body = {
        "size": rng.randrange(1, 10**9),
        "hashes": {"md5": hashlib.md5(uuid.uuid4().bytes).hexdigest()},
        "urls": [f"s3://elsewhere/{uuid.uuid4()}"],
        "file_name": "reads.fastq.gz",
        "authz": [project_path(code)],
    }
    response = send(ledger, "POST /index/index", client.post, "/index/index", json=body)
    if response is not None and ledger.answered("POST /index/index", response):
        with ledger.lock:
            ledger.records.append(response.json()["did"])
            ledger.writes += 1
    elif response is not None and response.status_code < 500:
        with ledger.lock:
            ledger.refused_valid.append(f"record {response.status_code} {response.text[:300]}")


def write_loop(number: int, client: httpx.Client, ledger: Ledger, stop: threading.Event) -> None:
    code = PROJECTS[number // WRITERS_PER_PROJECT]
    rng = random.Random(number)
    step = 0
    while not stop.is_set():
        step += 1
        if step % RECORD_EVERY == 0:
            create_record(client, ledger, code, rng)
            continue
        doomed = f"doomed-{number}-{step}" if step % DOOMED_EVERY == 0 else None
        submit(client, ledger, code, batch(rng, doomed), doomed is not None)


PEREGRINE = """{{
  subject(project_id: "{project}", first: 20, order_by_desc: "updated_datetime") {{
    submitter_id samples {{ submitter_id sample_type }} demographics {{ submitter_id }}
  }}
  _sample_count(project_id: "{project}")
}}"""
GUPPY = """query ($filter: JSON) { _aggregation { sample(filter: $filter) {
  _totalCount sample_type { histogram { key count } }
} } }"""


def read_once(
    client: httpx.Client, ledger: Ledger, kind: str, code: str, rng: random.Random
) -> httpx.Response:
    if kind == "peregrine":
        query = PEREGRINE.format(project=project_id(code))
        return client.post(f"{SUBMISSION}/graphql", json={"query": query})
    if kind == "guppy":
        variables = {"filter": {"=": {"project_id": project_id(code)}}}
        return client.post("/guppy/graphql", json={"query": GUPPY, "variables": variables})
    if kind == "index":
        return client.get("/index/index", params={"authz": project_path(code), "limit": 50})
    with ledger.lock:
        did = rng.choice(ledger.records)
    return client.get(f"/ga4gh/drs/v1/objects/{did}")


def read_loop(number: int, client: httpx.Client, ledger: Ledger, stop: threading.Event) -> None:
    rng = random.Random(1000 + number)
    kinds = ["peregrine", "guppy", "index", "drs"]
    step = number  # readers start at different kinds
    while not stop.is_set():
        kind, code = kinds[step % len(kinds)], rng.choice(PROJECTS)
        step += 1
        response = send(ledger, kind, read_once, client, ledger, kind, code, rng)
        if response is None:
            continue
        good = ledger.answered(kind, response) and "errors" not in response.json()
        with ledger.lock:
            if good:
                ledger.reads += 1
                ledger.read_ms.append(milliseconds(response))
            elif response.status_code < 500:
                ledger.read_errors.append(f"{kind}: {response.status_code} {response.text[:300]}")


def set_up(admin: httpx.Client, ledger: Ledger) -> None:
    """The program, the 4 projects with a study each, and two index records per project so the
    DRS readers have something to read from the start."""
    program = {"type": "program", "name": PROGRAM, "dbgap_accession_number": "load"}
    admin.put(f"{SUBMISSION}/", json=program).raise_for_status()
    for code in PROJECTS:
        project = {"type": "project", "code": code, "name": code, "dbgap_accession_number": code}
        admin.put(f"{SUBMISSION}/{PROGRAM}", json=project).raise_for_status()
        study = {
            "type": "study",
            "submitter_id": "study-1",
            "study_design": "Cohort",
            "projects": {"code": code},
        }
        admin.put(f"{SUBMISSION}/{PROGRAM}/{code}", json=study).raise_for_status()
        for _ in range(2):
            create_record(admin, ledger, code, random.Random(code))
    ledger.writes = 0  # the load's rate counts the load's writes only


def credentials(url: str, data_dir: Path, folder: Path) -> dict[str, ApiKeyAuth]:
    """The policy saved and an API key for each of its users, as `commons policy load` and
    `commons keys create` would make them, in one connection to the server's graph."""
    environ = {
        "COMMONS_CONFIG": "/nonexistent",
        "COMMONS_DATA_DIR": str(data_dir),
        "COMMONS_PUBLIC_URL": url,
    }
    settings = load_settings(environ=environ)
    found, document = {}, policy()
    with ExitStack() as stack:
        authority = Authority(open_command_graph(settings, stack), settings)
        save_policy(authority.graph, document)
        for user in document["users"]:
            path = folder / f"{user}.json"
            path.write_text(json.dumps(authority.create_api_key(user)))
            found[user] = ApiKeyAuth(url, path)
    return found


@dataclass
class Audit:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)
    bad_links: list[str] = field(default_factory=list)
    miscounted: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)


def audit(graph: GraphStore, admin: httpx.Client, ledger: Ledger) -> Audit:
    """The graph checked against what the clients were told."""
    found: dict[Key, list[str]] = defaultdict(list)
    result = Audit()
    for label, target in CHECKED:
        rows = graph.read(
            f"MATCH (n:`{label}`) WHERE n.project_id STARTS WITH $prefix "
            f"OPTIONAL MATCH (n)-->(t:`{target}`) "
            "RETURN n.project_id AS project, n.submitter_id AS sid, n.id AS id, "
            "collect(t.project_id + '/' + t.submitter_id) AS targets",
            {"prefix": f"{PROGRAM}-"},
        )
        for row in rows:
            found[(row["project"], label, row["sid"])].append(row["id"])
            number = row["sid"].removeprefix(f"{label}-")
            own = "study-1" if target == "study" else f"{target}-{number}"
            if row["sid"].startswith(label) and row["targets"] != [f"{row['project']}/{own}"]:
                result.bad_links.append(f"{row['project']} {row['sid']} -> {row['targets']}")
    twins = graph.read(
        "MATCH (s:subject)<--(d:demographic) WHERE s.project_id STARTS WITH $prefix "
        "WITH s, count(d) AS n WHERE n > 1 RETURN s.project_id AS project, s.submitter_id AS sid",
        {"prefix": f"{PROGRAM}-"},
    )
    result.bad_links += [f"{row['project']} {row['sid']} has 2+ demographics" for row in twins]
    for key, ids in found.items():
        if len(ids) > 1:
            result.duplicated.append(f"{key}: {len(ids)} nodes")
        if key not in ledger.told and key not in ledger.unanswered and key[2] != "study-1":
            result.half_written.append(str(key))
    for key, ids in ledger.told.items():
        missing = ids - set(found.get(key, []))
        if missing:
            result.lost.append(f"{key}: told {sorted(ids)}, the graph holds {found.get(key, [])}")
    for did in ledger.records:
        response = admin.get(f"/index/index/{did}")
        if response.status_code != 200:
            result.lost.append(f"index record {did}: {response.status_code}")
    for code in PROJECTS:
        fields = " ".join(
            f'{label}: _{label}_count(project_id: "{project_id(code)}")' for label, _ in CHECKED
        )
        answer = admin.post(f"{SUBMISSION}/graphql", json={"query": f"{{ {fields} }}"}).json()
        for label, _ in CHECKED:
            in_graph = sum(
                len(ids) for key, ids in found.items() if key[:2] == (project_id(code), label)
            )
            told = sum(1 for key in ledger.told if key[:2] == (project_id(code), label))
            counted = answer["data"][label]
            line = f"{project_id(code)} {label}: told {told}, graph {in_graph}, peregrine {counted}"
            result.counts.append(line)
            if counted != in_graph:
                result.miscounted.append(line)
    return result


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def show(title: str, items: list[str], limit: int = 5) -> None:
    if items:
        print(f"{title}: {len(items)}", flush=True)
        for item in items[:limit]:
            print(f"  {item}", flush=True)


def server_errors(log: Path, limit: int = 3) -> None:
    """The first tracebacks in the server's output."""
    text = log.read_text(errors="replace")
    blocks = text.split("Traceback (most recent call last):")[1 : limit + 1]
    for block in blocks:
        print("server traceback:" + block[-3000:], flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seconds", type=float, default=60, help="how long the load runs (default: 60)"
    )
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory(prefix="commons-bench-load-") as tmp:
        folder = Path(tmp)
        log = folder / "serve.log"
        with running_commons(folder, log=log) as (url, admin_credentials):
            data_dir = folder / "data"
            keys = credentials(url, data_dir, folder)
            admin = httpx.Client(base_url=url, auth=ApiKeyAuth(url, admin_credentials), timeout=60)
            ledger = Ledger()
            set_up(admin, ledger)
            stop = threading.Event()
            writers = len(PROJECTS) * WRITERS_PER_PROJECT
            work = [(write_loop, n, keys[writer_name(n)]) for n in range(writers)] + [
                (read_loop, n, keys[reader_name(n)]) for n in range(READERS)
            ]
            threads = [
                threading.Thread(
                    target=loop,
                    args=(n, httpx.Client(base_url=url, auth=auth, timeout=TIMEOUT), ledger, stop),
                )
                for loop, n, auth in work
            ]
            print(f"{writers} writers and {READERS} readers for {seconds:.0f} s", flush=True)
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
            with ExitStack() as stack:
                settings = load_settings(
                    environ={"COMMONS_CONFIG": "/nonexistent", "COMMONS_DATA_DIR": str(data_dir)}
                )
                result = audit(open_command_graph(settings, stack), admin, ledger)
            statuses = ", ".join(f"{code}: {n}" for code, n in sorted(ledger.statuses.items()))
            print(f"answers by status: {statuses}", flush=True)
            for line in result.counts:
                print(line, flush=True)
            for what, times in sorted(ledger.latency.items()):
                print(
                    f"{what}: {len(times)} answers, p50 {statistics.median(times):.0f} ms, "
                    f"p95 {percentile(times, 0.95):.0f} ms, max {max(times):.0f} ms",
                    flush=True,
                )
            show("5xx answers", ledger.errors_5xx)
            show("lost", result.lost)
            show("duplicated", result.duplicated)
            show("half-written", result.half_written)
            show("bad links", result.bad_links)
            show("peregrine's counts differ from the graph", result.miscounted)
            show("failed reads", ledger.read_errors)
            show("valid writes refused", ledger.refused_valid)
            show("invalid batches accepted", ledger.doomed_accepted)
            show(f"unanswered in {TIMEOUT:.0f} s", ledger.timeouts)
            if ledger.errors_5xx:
                server_errors(log)
    p95 = percentile(ledger.read_ms, 0.95) if ledger.read_ms else 0.0
    figures = {
        "errors_5xx": len(ledger.errors_5xx),
        "lost": len(result.lost),
        "duplicated": len(result.duplicated),
        "half_written": len(result.half_written) + len(ledger.doomed_accepted),
        "bad_links": len(result.bad_links),
        "miscounted": len(result.miscounted),
        "read_errors": len(ledger.read_errors),
        "unanswered": len(ledger.timeouts),
    }
    print(
        f"BENCH load writes_per_s={ledger.writes / elapsed:.1f} "
        f"entities_per_s={ledger.entities / elapsed:.0f} "
        f"reads_per_s={ledger.reads / elapsed:.1f} read_p95_ms={p95:.0f} "
        + " ".join(f"{name}={value}" for name, value in figures.items())
        + f" refused_valid={len(ledger.refused_valid)}"
    )
    return 1 if any(figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
