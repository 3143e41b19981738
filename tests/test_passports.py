"""GA4GH passports: a trusted broker's visas open what their study maps to, and nothing else.

The world is tests/auth_world.py's (project A `demo-a` has dbgap_accession_number
`phs000001.c1`, B does not), served with INDEX_READ=authz and PASSPORT_ISSUERS
trusting one locally minted broker; a second broker, with its own key, is not
trusted. A file indexed under `/programs/phs000001.c1` (fence's path for the
study) and A's and B's files are what a passport may or may not open.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from engine.auth.errors import AuthError
from engine.auth.passports import issuers as issuers_module
from engine.auth.passports.issuers import KeySets, parse_issuers
from engine.auth.passports.mint import Broker
from engine.auth.passports.validation import PASSPORT_TYP, PassportChecker
from engine.auth.resources import path_problem
from engine.config import ConfigError, load_settings
from tests.auth_world import A_PATH, A_STUDY, BASE, DATA, A, World, ok, upload
from tests.passport_world import RAS_TYPE, SUB, brokers, issuers_setting, passport_world

DRS = "/ga4gh/drs/v1"
STUDY_PATH = f"/programs/{A_STUDY}"
SUBJECTS = {"query": "{ subject(first: 0) { submitter_id project_id } _subject_count }"}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Broker, Broker]]:
    with brokers() as found:
        yield found


@pytest.fixture(scope="module")
def trusted(pair: tuple[Broker, Broker]) -> Broker:
    return pair[0]


@pytest.fixture(scope="module")
def rogue(pair: tuple[Broker, Broker]) -> Broker:
    return pair[1]


@pytest.fixture(scope="module")
def world(graph_store, seaweedfs_store, compiled_default, tmp_path_factory, trusted) -> World:
    data_dir = tmp_path_factory.mktemp("data")
    world = passport_world(graph_store, seaweedfs_store, compiled_default, data_dir, trusted)
    world.names["study_did"] = upload(world.client("admin"), STUDY_PATH)
    return world


@pytest.fixture
def client(world: World) -> TestClient:
    return world.client("anonymous")


def _passport(broker: Broker, study: str = A_STUDY, **visa: Any) -> str:
    return broker.passport(SUB, [broker.visa(SUB, study, **visa)])


def _access(client: TestClient, did: str, passport: str) -> httpx.Response:
    return client.post(f"{DRS}/objects/{did}/access/s3", json={"passports": [passport]})


def test_a_valid_passport_opens_the_studys_objects_and_the_mapped_projects_and_nothing_else(
    world: World, client: TestClient, trusted: Broker
) -> None:
    passport = _passport(trusted)
    names = world.names
    for did in (names["study_did"], names["a_did"]):  # the study's path, and project A
        drs_object = client.post(
            f"{DRS}/objects/{did}", json={"expand": False, "passports": [passport]}
        )
        assert ok(drs_object)["id"] == did
        assert httpx.get(ok(_access(client, did, passport))["url"]).content == DATA
    for did in (names["b_did"], names["b_record"]):  # B's, unknown to the holder
        assert _access(client, did, passport).status_code == 404
        assert (
            client.post(f"{DRS}/objects/{did}", json={"passports": [passport]}).status_code == 404
        )
    bulk = {
        "passports": [passport],
        "bulk_object_access_ids": [
            {"bulk_object_id": did, "bulk_access_ids": ["s3"]}
            for did in (names["study_did"], names["a_did"], names["b_did"])
        ],
    }
    answer = ok(client.post(f"{DRS}/objects/access", json=bulk))
    assert answer["summary"] == {"requested": 3, "resolved": 2, "unresolved": 1}
    assert answer["unresolved_drs_objects"] == [{"error_code": 404, "object_ids": [names["b_did"]]}]
    objects = {"passports": [passport], "bulk_object_ids": [names["a_did"], names["b_did"]]}
    assert ok(client.post(f"{DRS}/objects", json=objects))["summary"]["resolved"] == 1
    # Without the passport the same requests find nothing.
    assert client.post(f"{DRS}/objects/{names['a_did']}/access/s3", json={}).status_code == 404


def test_an_exchanged_token_reads_the_mapped_project_in_graphql_and_guppy_only(
    world: World, client: TestClient, trusted: Broker
) -> None:
    answer = ok(
        client.post("/user/ga4gh/passport/exchange", json={"passports": [_passport(trusted)]})
    )
    assert answer["studies"] == [A_STUDY] and 0 < answer["expires_in"] <= 20 * 60
    holder = {"Authorization": f"Bearer {answer['access_token']}"}
    rows = ok(client.post(f"{BASE}/graphql", json=SUBJECTS, headers=holder))["data"]
    assert {row["project_id"] for row in rows["subject"]} == {A}
    assert rows["_subject_count"] == 3
    guppy = {"query": "{ subject(first: 100, accessibility: accessible) { project_id } }"}
    found = ok(client.post("/guppy/graphql", json=guppy, headers=holder))["data"]["subject"]
    assert {row["project_id"] for row in found} == {A}
    user = ok(client.get("/user/user", headers=holder))
    assert user["username"] == SUB + trusted.iss.removeprefix("http://")
    assert set(user["resources"]) == {A_PATH, STUDY_PATH} and user["is_admin"] is False
    refused = client.put(f"{BASE}/demo/a", json=[], headers=holder)
    assert refused.status_code == 403  # reading is all a passport grants
    other = client.get(f"/user/data/download/{world.names['b_did']}", headers=holder)
    assert other.status_code == 404


def test_without_project_mapping_a_grant_reaches_only_the_studys_path(
    world: World, client: TestClient, trusted: Broker
) -> None:
    app = world.app_with(
        index_read="authz",
        passport_issuers=issuers_setting(trusted),
        passport_map_projects="false",
    )
    plain = TestClient(app)
    passport = _passport(trusted)
    assert ok(_access(plain, world.names["study_did"], passport))["url"]
    assert _access(plain, world.names["a_did"], passport).status_code == 404


def _tampered(visa: str) -> str:
    """The visa with its payload changed (a longer life) and its signature kept."""
    head, payload, signature = visa.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] += 10**6
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{changed}.{signature}"


def _unsigned(claims: dict[str, Any], typ: str) -> str:
    return jwt.encode(claims, None, algorithm="none", headers={"typ": typ})


def _forger(trusted: Broker, rogue: Broker) -> Broker:
    """A key of the rogue's that claims to be the trusted broker's (same iss and kid)."""
    forger = Broker()
    forger.private_key, forger.iss, forger.kid = rogue.private_key, trusted.iss, trusted.kid
    return forger


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


Make = Callable[[Broker, Broker], str]
REFUSALS: dict[str, tuple[Make, str]] = {
    "expired visa": (lambda t, r: _passport(t, lifetime=-10), "visa 0 has expired"),
    "visa from an untrusted issuer": (
        lambda t, r: t.passport(SUB, [r.visa(SUB, A_STUDY)]),
        "visa 0 comes from an untrusted issuer",
    ),
    "forged visa signature": (
        lambda t, r: t.passport(SUB, [_forger(t, r).visa(SUB, A_STUDY)]),
        "visa 0's signature does not verify",
    ),
    "visa with alg none": (
        lambda t, r: t.passport(SUB, [_unsigned(_claims(t.visa(SUB, A_STUDY)), "JWT")]),
        "only RS256 and ES256",
    ),
    "jku outside the allowlist": (
        lambda t, r: t.passport(
            SUB, [_forger(t, r).visa(SUB, A_STUDY, document=True, header={"jku": r.jku})]
        ),
        "is not one trusted for",
    ),
    "visa with conditions": (
        lambda t, r: _passport(
            t, visa={"conditions": [[{"type": "AffiliationAndRole", "value": "const:x@y"}]]}
        ),
        "has conditions",
    ),
    "asserted after iat": (
        lambda t, r: _passport(t, asserted=int(time.time()) + 600),
        "asserts after it was issued",
    ),
    "tampered visa in a valid passport": (
        lambda t, r: t.passport(SUB, [_tampered(t.visa(SUB, A_STUDY))]),
        "visa 0's signature does not verify",
    ),
    "passport with alg none": (
        lambda t, r: _unsigned(_claims(_passport(t)), PASSPORT_TYP),
        "only RS256 and ES256",
    ),
    "passport from an untrusted broker": (
        lambda t, r: r.passport(SUB, [t.visa(SUB, A_STUDY)]),
        "passport comes from an untrusted issuer",
    ),
    "forged passport signature": (
        lambda t, r: _forger(t, r).passport(SUB, [t.visa(SUB, A_STUDY)]),
        "passport's signature does not verify",
    ),
    "passport without its typ": (
        lambda t, r: t.sign(_claims(_passport(t)), {"typ": "JWT"}),
        "not vnd.ga4gh.passport+jwt",
    ),
    "expired passport": (
        lambda t, r: t.passport(SUB, [t.visa(SUB, A_STUDY)], lifetime=-10),
        "passport has expired",
    ),
    "visa of an untrusted type": (
        lambda t, r: _passport(t, visa={"type": "ResearcherStatus"}),
        "is not trusted from",
    ),
    "visa not by a DAC": (lambda t, r: _passport(t, visa={"by": "self"}), "grants no access"),
    "not a JWT": (lambda t, r: "not-a-jwt", "not a well-formed JWT"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_a_bad_passport_is_refused_with_its_reason_and_no_data(
    world: World, client: TestClient, trusted: Broker, rogue: Broker, case: str
) -> None:
    make, reason = REFUSALS[case]
    passport = make(trusted, rogue)
    did = world.names["study_did"]
    for answer in (
        _access(client, did, passport),
        client.post(f"{DRS}/objects/{did}", json={"passports": [passport]}),
        client.post("/user/ga4gh/passport/exchange", json={"passports": [passport]}),
    ):
        assert answer.status_code == 401, answer.text
        assert reason in answer.json().get("msg", answer.json().get("message"))
        assert did not in answer.text and "url" not in answer.json()


def test_passports_with_an_authorization_header_are_refused(world: World, trusted: Broker) -> None:
    reader = world.client("reader")
    did = world.names["a_did"]
    answer = _access(reader, did, _passport(trusted))
    assert answer.status_code == 400 and "not both" in answer.json()["msg"]
    assert ok(reader.post(f"{DRS}/objects/{did}/access/s3", json={"passports": []}))["url"]


@pytest.mark.parametrize(
    "body",
    [
        {"passports": "x"},
        {"passports": [1]},
        {"expand": "yes"},
        {"passports": [""]},
        {"passports": ["x"] * 11},
    ],
)
def test_a_malformed_body_is_a_400(world: World, client: TestClient, body: Any) -> None:
    answer = client.post(f"{DRS}/objects/{world.names['a_did']}", json=body)
    assert answer.status_code == 400, answer.text


def test_a_grant_ends_when_its_visa_expires(
    world: World, client: TestClient, trusted: Broker
) -> None:
    passport = trusted.passport(SUB, [trusted.visa(SUB, A_STUDY, lifetime=3)], lifetime=600)
    answer = ok(client.post("/user/ga4gh/passport/exchange", json={"passports": [passport]}))
    assert answer["expires_in"] <= 3
    token = {"Authorization": f"Bearer {answer['access_token']}"}
    assert ok(client.get(f"{DRS}/objects/{world.names['a_did']}", headers=token))
    assert ok(_access(client, world.names["a_did"], passport))["url"]
    time.sleep(4)
    assert client.get(f"{DRS}/objects/{world.names['a_did']}", headers=token).status_code == 401
    assert _access(client, world.names["a_did"], passport).status_code == 401


def test_a_grant_ends_at_asserted_plus_the_max_ttl(trusted: Broker) -> None:
    checker = PassportChecker(parse_issuers(issuers_setting(trusted)), max_ttl=1000)
    now = int(time.time())
    fresh = checker.check(_passport(trusted, asserted=now - 400))
    assert fresh.grants[0].expires == now - 400 + 1000 and fresh.expires == now + 600
    with pytest.raises(AuthError, match="grants no access"):
        checker.check(_passport(trusted, asserted=now - 1001))


def test_ras_dbgap_permissions_are_read_until_their_expiration(trusted: Broker) -> None:
    checker = PassportChecker(parse_issuers(issuers_setting(trusted)), max_ttl=10**6)
    now = int(time.time())
    permissions = [
        {"phs_id": "phs000991", "consent_group": "c1", "version": "v1", "expiration": now + 100},
        {"phs_id": "phs000961", "consent_group": "c2", "expiration": now - 1},  # expired
        {"phs_id": "bogus", "consent_group": "c1", "expiration": now + 100},
    ]
    ras = {"type": RAS_TYPE, "value": "https://sts.nih.gov/passport/dbgap/v1.1", "by": None}
    visa = trusted.visa(SUB, "", visa=ras, claims={"ras_dbgap_permissions": permissions})
    found = checker.check(trusted.passport(SUB, [visa]))
    assert [(g.study, g.expires) for g in found.grants] == [("phs000991.c1", now + 100)]


def test_a_visa_document_token_is_checked_at_its_allowlisted_jku(trusted: Broker) -> None:
    checker = PassportChecker(parse_issuers(issuers_setting(trusted)), max_ttl=10**6)
    visa = trusted.visa(SUB, "phs000002.c3", document=True)
    assert [g.study for g in checker.check(trusted.passport(SUB, [visa])).grants] == [
        "phs000002.c3"
    ]
    unlisted = PassportChecker(parse_issuers(issuers_setting(trusted, jku=[])), max_ttl=10**6)
    with pytest.raises(AuthError, match="jku .* is not one trusted"):
        unlisted.check(trusted.passport(SUB, [visa]))


def test_an_es256_broker_is_accepted_and_bad_visas_beside_good_ones_are_skipped() -> None:
    with Broker("ES256").serving() as broker:
        checker = PassportChecker(parse_issuers(issuers_setting(broker)), max_ttl=10**6)
        good, expired = broker.visa(SUB, "phs000003"), broker.visa(SUB, "phs000004", lifetime=-1)
        assert [g.study for g in checker.check(broker.passport(SUB, [expired, good])).grants] == [
            "phs000003"
        ]


def test_each_decision_is_one_structured_log_line(
    trusted: Broker, rogue: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    checker = PassportChecker(parse_issuers(issuers_setting(trusted)), max_ttl=10**6)
    with caplog.at_level(logging.INFO, logger="commons.passports"):
        checker.check(trusted.passport(SUB, [trusted.visa(SUB, A_STUDY), rogue.visa(SUB, "x")]))
        with pytest.raises(AuthError):
            checker.check(_passport(trusted, lifetime=-10))
    accepted, refused = (json.loads(r.getMessage()) for r in caplog.records)
    assert accepted["decision"] == "accepted" and accepted["subject"] == SUB
    assert accepted["issuer"] == trusted.iss
    assert accepted["grants"][0]["study"] == A_STUDY
    assert accepted["visas"][0]["grants"] == [A_STUDY] and "refused" in accepted["visas"][1]
    assert refused["decision"] == "refused" and "has expired" in refused["reason"]


def test_keys_are_cached_and_fetched_again_on_an_unknown_kid_at_most_so_often(
    trusted: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, url = KeySets(), trusted.jwks_uri
    before = trusted.fetches
    assert keys.key(url, trusted.kid) is not None
    assert keys.key(url, trusted.kid) is not None
    assert trusted.fetches == before + 1  # kept
    with pytest.raises(AuthError, match="no key 'rotated'"):
        keys.key(url, "rotated")
    assert trusted.fetches == before + 1  # fetched a moment ago: not again
    monkeypatch.setattr(issuers_module, "REFRESH_S", 0)
    with pytest.raises(AuthError, match="no key 'rotated'"):
        keys.key(url, "rotated")
    assert trusted.fetches == before + 2  # an unknown kid, once the pause is over: fetched


def test_options_answers_drs_authorizations(
    world: World, client: TestClient, trusted: Broker
) -> None:
    answer = client.options(f"{DRS}/objects/{world.names['b_did']}")
    assert ok(answer) == {
        "drs_object_id": world.names["b_did"],
        "supported_types": ["BearerAuth", "PassportAuth"],
        "passport_auth_issuers": [trusted.iss],
        "bearer_auth_issuers": ["http://testserver"],
    }


def test_passports_are_refused_where_no_issuer_is_trusted(world: World, trusted: Broker) -> None:
    plain = TestClient(world.app_with(index_read="authz"))
    answer = _access(plain, world.names["study_did"], _passport(trusted))
    assert answer.status_code == 400 and "PASSPORT_ISSUERS" in answer.json()["msg"]
    assert ok(plain.options(f"{DRS}/objects/x"))["supported_types"] == ["BearerAuth"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"iss": "https://x"}', "a JSON list"),
        ('[{"iss": "x"}]', "iss: expected the issuer's URL"),
        ('[{"iss": "https://x", "visa_type": []}]', "unknown keys visa_type"),
        ('[{"iss": "https://x", "jku": "https://x/k"}]', "jku: expected a list"),
        ('[{"iss": "https://x"}, {"iss": "https://x"}]', "listed twice"),
    ],
)
def test_a_malformed_issuers_setting_is_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_issuers(text)


def test_issuers_may_be_written_as_yaml_in_commons_yaml(tmp_path) -> None:
    config = tmp_path / "commons.yaml"
    config.write_text(
        "passport_issuers:\n"
        "  - iss: https://broker.example.org\n"
        "    visa_types: [ControlledAccessGrants]\n"
        "passport_max_ttl: 600\n"
    )
    settings = load_settings(environ={"COMMONS_CONFIG": str(config)})
    found = parse_issuers(settings.passport_issuers)["https://broker.example.org"]
    assert found.visa_types == {"ControlledAccessGrants"} and found.jwks_uri is None
    assert settings.passport_max_ttl == 600 and settings.passport_map_projects is True


def test_a_study_is_a_resource_path_and_nothing_like_one_is() -> None:
    assert path_problem(STUDY_PATH) is None
    for path in ("/programs/phs1.c1", "/programs/phs000001.c1.x", "/programs/phs000001..c1"):
        assert path_problem(path) is not None


def test_a_broker_whose_keys_cannot_be_fetched_is_a_503_not_a_refusal() -> None:
    broker = Broker()
    with broker.serving():
        pass  # its port is closed again: nothing answers at its iss
    checker = PassportChecker(parse_issuers(issuers_setting(broker)), max_ttl=10**6)
    with pytest.raises(AuthError) as raised:
        checker.check(_passport(broker))
    assert raised.value.status == 503 and "could not be fetched" in raised.value.message
