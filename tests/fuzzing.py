"""Fuzzing the API with Schemathesis: every operation of the OpenAPI schema a running server serves, sent
requests generated from the schema, valid ones (positive) and ones that break a documented limit
(negative), with the reader's token where the operation wants one and without it. Every response is checked:

- not_a_server_error: no 5xx;
- status_code_conformance, content_type_conformance, response_schema_conformance: the status is one the
  schema lists for the operation, and the body is JSON of the schema it gives for that status;
- negative_data_rejection: a request that breaks a documented limit is refused with a 4xx;
- one_error_shape (below): every 4xx body is exactly {"error": "<message>", "status": <its status>}.

Random text almost never names a paper or collection that exists, so part of the cases take their ids
from `known` (papers, slugs, days, interests that the server holds) and generate the rest.

Used by tests/test_api_fuzz.py (bounded, fixed seed: part of `make test`) and bench/api_fuzz.py (long).
"""

import time
from collections import Counter
from dataclasses import dataclass, field

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from papertide.library import recommend
from papertide.library.models import Collection, Entry, Interest


def library_of(reader, outsider, papers) -> dict:
    """The reader's library (a collection and a trained interest over it, a reading list) and an outsider's,
    whose slug and interest the reader must get 404s for."""
    diffusion = [p for p in papers if "diffusion" in p.title.lower()][:3]
    collection = Collection.create(reader, "Diffusion")
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in diffusion)
    Entry.objects.bulk_create(Entry(collection=Collection.reading_list(reader), paper=p) for p in papers[:2])
    interest = Interest.objects.create(owner=reader, name="diffusion", collection=collection)
    assert recommend.train(interest)
    theirs = Collection.create(outsider, "Their ideas")
    their_interest = Interest.objects.create(owner=outsider, name="theirs")
    return {
        "slugs": ["reading-list", collection.slug, theirs.slug],
        "interests": [interest.pk, their_interest.pk],
    }


def one_error_shape(ctx, response, case) -> bool | None:
    """Every 4xx answers the API's one error shape, with its own status in it."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"a {response.status_code} whose body is not JSON: {response.text[:200]!r}"
        ) from None
    if not (isinstance(body, dict) and set(body) == {"error", "status"}):
        raise AssertionError(f"a {response.status_code} not in the one error shape: {body!r:.300}")
    if body["status"] != response.status_code or not isinstance(body["error"], str) or not body["error"]:
        raise AssertionError(f"a {response.status_code} whose error shape is wrong: {body!r:.300}")
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    one_error_shape,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class Report:
    operations: list[str] = field(default_factory=list)
    examples: int = 0  # requests sent and checked
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # one per operation and kind of request that failed
    skipped: list[str] = field(default_factory=list)  # a mode an operation cannot be generated in, and why
    seconds: float = 0.0
    call_seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        codes = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return (
            f"{len(self.operations)} operations, {self.examples} requests in {self.seconds:.0f} s "
            f"({codes}; {self.call_seconds:.0f} s waiting for the answers); "
            f"5xx: {self.server_errors}; failures: {len(self.failures)}"
        )


def _variants(operation, known: dict[str, dict[str, list]]) -> list[dict]:
    """Fixed parts of a request (path parameters, query, body) taken from `known`, one dict per variant:
    the i-th known value of each parameter the operation has, cycling through the shorter lists."""
    names = {
        "path_parameters": [p.name for p in operation.path_parameters],
        "query": [p.name for p in operation.query],
        "body": ["paper"] if "paper" in str(operation.definition.raw.get("requestBody", "")) else [],
    }
    present = {
        where: {name: known[where][name] for name in names[where] if known.get(where, {}).get(name)}
        for where in names
    }
    longest = max((len(v) for parts in present.values() for v in parts.values()), default=0)
    variants = []
    for i in range(longest):
        variant = {
            where: {name: values[i % len(values)] for name, values in parts.items()}
            for where, parts in present.items()
            if parts
        }
        variants.append(variant)
    return variants


def cases(operation, mode: GenerationMode, token: str, known: dict) -> st.SearchStrategy:
    """Generated requests for one operation in one mode: with the token where the operation wants one
    (and a few without it, which must be a 401), wholly generated or with known ids."""
    secured = bool(operation.definition.raw.get("security"))
    auth = {"Authorization": f"Bearer {token}"} if secured else None
    strategies = [operation.as_strategy(mode, headers=auth)]
    for variant in _variants(operation, known):
        strategies.append(operation.as_strategy(mode, headers=auth, **variant))
    if secured:
        strategies.append(operation.as_strategy(mode, headers={"Authorization": "Bearer pt_not-a-token"}))
    return st.one_of(strategies)


def fuzz(base_url: str, token: str, known: dict, examples: int, seed: int, log=None) -> Report:
    """Run every operation of the schema served at base_url: `examples` cases an operation in each mode."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    session = requests.Session()
    report = Report()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        report.operations.append(operation.label)
        for mode in MODES:
            began, sent = time.monotonic(), report.examples
            failure = _run(operation, mode, token, known, examples, seed, base_url, session, report)
            if failure:
                report.failures.append(f"{operation.label} ({mode.value}): {failure}")
            if log:
                took = time.monotonic() - began
                log(f"{operation.label} ({mode.value}): {report.examples - sent} requests in {took:.1f} s")
    report.seconds = time.monotonic() - started
    return report


def _run(operation, mode, token, known, examples, seed, base_url, session, report) -> str | None:
    @hypothesis.seed(seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # the same cases every run: no examples saved from the last one
        derandomize=False,  # the seed given, not the suite's profile (tests/conftest.py), picks them
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation, mode, token, known))
    def run(case):
        t0 = time.monotonic()
        response = case.call(base_url=base_url, session=session)
        report.call_seconds += time.monotonic() - t0
        report.examples += 1
        report.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except hypothesis.errors.Unsatisfiable as exc:  # no request of this mode exists (nothing to break)
        report.skipped.append(f"{operation.label} ({mode.value}): {exc}")
    except (Exception, BaseExceptionGroup) as exc:  # a failed check, with the request to reproduce it (curl)
        return str(exc).strip()
    return None
