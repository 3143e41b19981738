"""One process's auth: its signing keys, the trusted issuers, and the graph that holds users and policy.

Every verified request costs one indexed read that returns the caller's
grants, whether their API key is still good and the policy version, so a
revoked key or a changed grant counts from the next request on every
replica; the parsed policy is kept until its version moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.auth import accounts
from engine.auth.errors import AuthError
from engine.auth.keys import KeyRing
from engine.auth.oidc import ExternalIssuer
from engine.auth.passports import grants
from engine.auth.passports.issuers import parse_issuers
from engine.auth.passports.validation import Passport, PassportChecker
from engine.auth.policy import Authz, Permission
from engine.auth.policy_store import ACTIVE, load_policy_file, read_authz
from engine.auth.principal import Principal
from engine.auth.tokens import Purpose, mint, unverified, user_name, verify
from engine.config import Settings
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore, Row, Transaction

API_KEY_CLAIM = "api_key_jti"
GRANTS_CLAIM = "ga4gh_grants"  # the studies a passport granted, in a token exchanged for it
MAX_PASSPORTS = 10  # a request's passports are each verified: a bound on the work one request costs

_STANDING = (
    "OPTIONAL MATCH (p:CommonsPolicy {id: $policy}) "
    "OPTIONAL MATCH (u:CommonsUser {name: $name}) "
    "OPTIONAL MATCH (k:CommonsApiKey {jti: $jti}) "
    "RETURN p.version AS version, u.admin AS admin, u.policies AS policies, "
    "k.revoked = false AND k.user = $name AS key_usable"
)


@dataclass(frozen=True)
class Standing:
    authz: Authz
    admin: bool
    policies: tuple[str, ...]
    key_usable: bool


class Authority:
    """Made once per app (`app.state.auth`) and once per CLI command."""

    def __init__(self, graph: GraphStore, settings: Settings) -> None:
        self.graph = graph
        self.keys = KeyRing.in_data_dir(settings.commons_data_dir)
        self.issuer = settings.public_url
        self.access_lifetime = timedelta(minutes=settings.auth_access_token_minutes)
        self.api_key_lifetime = timedelta(days=settings.auth_api_key_days)
        self.external = (
            ExternalIssuer(
                settings.auth_oidc_issuer,
                settings.auth_oidc_jwks_url,
                settings.auth_oidc_audience or self.issuer,
            )
            if settings.auth_oidc_issuer
            else None
        )
        issuers = parse_issuers(settings.passport_issuers)
        self.passports = PassportChecker(issuers, settings.passport_max_ttl) if issuers else None
        self.map_projects = settings.passport_map_projects
        self._authz: tuple[int | None, Authz] = (None, Authz())

    def prepare(self, policy_file: Path | None = None) -> bool:
        """Constraints, a signing key, and the policy file when it changed; True when it was loaded."""
        apply_ddl(self.graph, accounts.SCHEMA)
        self.keys.signing_key()
        if policy_file is None or not policy_file.is_file():
            return False
        return load_policy_file(self.graph, policy_file, force=False)

    # Tokens ----------------------------------------------------------------

    def _claims(self, token: str, *, own_only: bool = False) -> dict[str, Any]:
        header, claims = unverified(token)
        if claims.get("iss") == self.issuer:
            key = self.keys.public_key(str(header.get("kid", "")))
            if key is None:
                raise AuthError(
                    401, "the token was signed by a key this Commons does not hold (retired?)"
                )
            return verify(token, key, issuer=self.issuer, audience=self.issuer)
        if self.external and not own_only and claims.get("iss") == self.external.issuer:
            return self.external.verify(token)
        raise AuthError(401, "the token comes from an untrusted issuer")

    def create_api_key(self, user: str, days: int | None = None) -> dict[str, str]:
        """fence's credentials.json, which the Gen3 SDK reads: `{"api_key", "key_id"}`."""
        token, claims = mint(
            self.keys.signing_key(),
            issuer=self.issuer,
            user=user,
            purpose=Purpose.API_KEY,
            lifetime=timedelta(days=days) if days else self.api_key_lifetime,
        )
        accounts.record_api_key(self.graph, user, claims["jti"], claims["iat"], claims["exp"])
        return {"api_key": token, "key_id": claims["jti"]}

    def exchange(self, api_key: str) -> str:
        """A short-lived access token for a good API key; it never outlives the key."""
        claims = self._claims(api_key, own_only=True)
        if claims.get("pur") != Purpose.API_KEY:
            raise AuthError(401, "the api_key is not an API key (its 'pur' claim is not api_key)")
        if not self._standing(claims["sub"], claims.get("jti")).key_usable:
            raise AuthError(401, "the API key has been revoked, or was never issued here")
        token, _ = mint(
            self.keys.signing_key(),
            issuer=self.issuer,
            user=claims["sub"],
            purpose=Purpose.ACCESS,
            lifetime=self.access_lifetime,
            expires_at=claims["exp"],
            extra={API_KEY_CLAIM: claims["jti"]},
        )
        return token

    def check_passports(self, passports: list[str]) -> list[Passport]:
        """Each passport checked (a 401 naming what fails); a 400 when none are trusted here."""
        if self.passports is None:
            raise AuthError(
                400, "passports are not accepted here: no PASSPORT_ISSUERS are configured"
            )
        if len(passports) > MAX_PASSPORTS:
            raise AuthError(400, f"at most {MAX_PASSPORTS} passports per request")
        return [self.passports.check(passport) for passport in passports]

    def exchange_passports(self, passports: list[str]) -> tuple[str, dict[str, Any]]:
        """A short access token carrying the passports' grants; it ends when the first grant does."""
        checked = self.check_passports(passports)
        studies = sorted({grant.study for passport in checked for grant in passport.grants})
        return mint(
            self.keys.signing_key(),
            issuer=self.issuer,
            user=checked[0].user,
            purpose=Purpose.ACCESS,
            lifetime=self.access_lifetime,
            expires_at=min(passport.expires for passport in checked),
            extra={GRANTS_CLAIM: studies},
        )

    def passport_principal(self, passports: list[str]) -> Principal:
        """The holder of `passports` (named after the first), with what the passports grant."""
        checked = self.check_passports(passports)
        studies = {grant.study for passport in checked for grant in passport.grants}
        return self._principal(checked[0].user, None, studies)

    def _study_permissions(self, studies: set[str]) -> frozenset[Permission]:
        return grants.permissions(grants.study_paths(self.graph, studies, self.map_projects))

    # Callers ---------------------------------------------------------------

    def _standing(self, name: str | None, jti: str | None) -> Standing:
        """One read a request; the policy's authz is read again, in the same transaction as
        the caller's standing, only when its version is not the one cached."""
        params = {"policy": ACTIVE, "name": name, "jti": jti}

        def standing(row: Row, authz: Authz) -> Standing:
            return Standing(
                authz,
                row["admin"] is True,
                tuple(row["policies"] or ()),
                row["key_usable"] is True,
            )

        def work(tx: Transaction) -> Standing:
            row = tx.run(_STANDING, params)[0]
            version, authz = read_authz(tx) if row["version"] is not None else (None, Authz())
            self._authz = version, authz
            return standing(row, authz)

        row = self.graph.lookup(_STANDING, params)[0]
        version, authz = self._authz
        return standing(row, authz) if row["version"] == version else self.graph.execute_read(work)

    def principal(self, token: str | None) -> Principal:
        """The caller a bearer token names (None: anonymous), with their grants as of now."""
        if token is None:
            return self._principal(None, None, set())
        claims = self._claims(token)
        purpose = claims.get("pur", Purpose.ACCESS)
        if purpose != Purpose.ACCESS:
            raise AuthError(
                401,
                f"a {purpose} token is not an access token; exchange an API key for one "
                "at /user/credentials/cdis/access_token",
            )
        own = claims["iss"] == self.issuer
        jti = claims.get(API_KEY_CLAIM) if own else None
        studies = set(claims.get(GRANTS_CLAIM) or ()) if own else set()
        return self._principal(user_name(claims), jti, studies)

    def _principal(self, name: str | None, jti: str | None, studies: set[str]) -> Principal:
        """`name`'s grants as of now, and those of the studies a passport gave them.

        A passport holder is a logged-in user named as fence names them, with
        what the policy grants that name; never an admin through a passport.
        """
        standing = self._standing(name, jti)
        if jti is not None and not standing.key_usable:
            raise AuthError(401, "the API key this token was made from has been revoked")
        policies = standing.authz.policy_ids(name, standing.policies)
        return Principal(
            name,
            admin=standing.admin and not studies,
            permissions=standing.authz.permissions(policies) | self._study_permissions(studies),
            projects_in=self._projects_in,
        )

    def _projects_in(self, programs: frozenset[str]) -> frozenset[str]:
        rows = self.graph.read(
            "MATCH (p:`project`)-->(g:`program`) WHERE g.name IN $programs "
            "RETURN p.project_id AS project_id",
            {"programs": sorted(programs)},
        )
        return frozenset(row["project_id"] for row in rows)
