"""A GA4GH passport (Passport 1.2, AAI 1.2) checked as the specs and fence check it, into grants.

A passport is a JWT with header `typ: vnd.ga4gh.passport+jwt`, signed
RS256 or ES256 (nothing else: `alg: none` and HMAC forgeries fail) by a
trusted broker, with `iss`, `sub`, `iat` and `exp`; its
`ga4gh_passport_v1` claim is a list of visas, each a JWS of its own signed
by a trusted visa issuer: a Visa Document Token (header `jku`) through the
key set at that `jku` once it is allowlisted for the visa's `iss`, a Visa
Access Token (`scope` with `openid`) through the issuer's own JWKS.

A visa grants a dbGaP study (`phsNNNNNN[.cN]`) through a
`ControlledAccessGrants` assertion made by a DAC (`by: dac`, the study in
`value`) or through RAS's `ras_dbgap_permissions` claim (`phs_id`,
`consent_group`, `expiration`; fence reads only this one). A visa with
non-empty `conditions` is refused, since Commons does not evaluate them
(the spec requires that of such a clearinghouse), and so is one asserted
after it was issued. A grant ends at the earliest of the visa's `exp`,
`asserted + PASSPORT_MAX_TTL` and (RAS) the permission's `expiration`.

A visa that fails grants nothing and the others still count, as in fence;
a passport that fails, or whose visas grant nothing, is refused with a 401
that says why, visa by visa (a 503 when the broker's keys cannot be
fetched: the passport may be good). Every decision is one JSON line on the
`commons.passports` logger: issuer, subject, visas, grants, reason.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from engine.auth.errors import AuthError
from engine.auth.passports.issuers import KeySets, TrustedIssuer

PASSPORT_TYP = "vnd.ga4gh.passport+jwt"
ALGORITHMS = ("RS256", "ES256")
REQUIRED = ["iss", "sub", "iat", "exp"]
CONTROLLED_ACCESS = "ControlledAccessGrants"
STUDY_IN_VALUE = re.compile(r"(phs[0-9]{6})(?:\.v[0-9]+)?(?:\.p[0-9]+)?(\.c[0-9]+)?(?![0-9])")
PHS_ID = re.compile(r"phs[0-9]{6}")
CONSENT = re.compile(r"c[0-9]+")
audit = logging.getLogger("commons.passports")


class Refused(Exception):
    """Why one token (a passport or a visa) was not accepted; 503 when its keys could not be had."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Grant:
    """Read access to one study, until `expires` (epoch seconds)."""

    study: str
    expires: int


@dataclass
class Passport:
    """A checked passport: who holds it, and what its visas grant."""

    issuer: str
    subject: str
    grants: list[Grant] = field(default_factory=list)

    @property
    def user(self) -> str:
        """The holder's name, as fence names a passport's user: `sub` + `iss` without its scheme."""
        return self.subject + re.sub(r"^https?://", "", self.issuer)

    @property
    def expires(self) -> int:
        """When the first grant ends: what a token carrying the grants may last until."""
        return min(grant.expires for grant in self.grants)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class PassportChecker:
    """Checks passports against the trusted issuers; one per process (it keeps their keys)."""

    def __init__(self, issuers: Mapping[str, TrustedIssuer], max_ttl: int) -> None:
        self.issuers = issuers
        self.max_ttl = max_ttl
        self.keys = KeySets()

    def _verified(self, token: str, what: str, *, visa: bool) -> tuple[TrustedIssuer, dict]:
        """The claims of a passport or visa JWS, once its issuer, key and signature check out."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Refused(f"the {what} is not a well-formed JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Refused(f"the {what} is signed with {alg!r}; only RS256 and ES256 are accepted")
        if not visa and str(header.get("typ", "")).lower() != PASSPORT_TYP:
            raise Refused(f"the {what}'s header typ is {header.get('typ')!r}, not {PASSPORT_TYP}")
        issuer = self.issuers.get(str(claims.get("iss")))
        if issuer is None:
            raise Refused(f"the {what} comes from an untrusted issuer ({claims.get('iss')!r})")
        url = self._key_url(issuer, header, claims, what) if visa else None
        try:
            key = self.keys.key(url or self.keys.jwks_uri(issuer), str(header.get("kid", "")))
            return issuer, jwt.decode(
                token,
                key,
                algorithms=[alg],
                options={"require": REQUIRED, "verify_aud": False},
            )
        except AuthError as error:
            raise Refused(f"the {what} cannot be checked: {error.message}", error.status) from None
        except jwt.ExpiredSignatureError:
            raise Refused(f"the {what} has expired") from None
        except jwt.MissingRequiredClaimError as error:
            raise Refused(f"the {what} lacks the '{error.claim}' claim") from None
        except jwt.InvalidSignatureError:
            raise Refused(f"the {what}'s signature does not verify") from None
        except jwt.PyJWTError as error:
            raise Refused(f"the {what} is not valid ({error})") from None

    @staticmethod
    def _key_url(
        issuer: TrustedIssuer, header: dict[str, Any], claims: dict[str, Any], what: str
    ) -> str | None:
        """A Visa Document Token's allowlisted `jku`; None (the issuer's JWKS) for an access token."""
        jku = header.get("jku")
        if jku is not None:
            if jku not in issuer.jku:
                raise Refused(f"the {what}'s jku {jku!r} is not one trusted for {issuer.iss}")
            return str(jku)
        if "openid" not in str(claims.get("scope", "")).split():
            raise Refused(f"the {what} has neither a jku nor an openid scope")
        return None

    def _grants(self, issuer: TrustedIssuer, claims: dict[str, Any], what: str) -> list[Grant]:
        """What a verified visa grants; Refused when its assertion is not one to act on."""
        visa = claims.get("ga4gh_visa_v1")
        if not isinstance(visa, dict):
            raise Refused(f"the {what} has no ga4gh_visa_v1 object")
        for name in ("type", "value", "source"):
            if not isinstance(visa.get(name), str) or not visa[name]:
                raise Refused(f"the {what}'s ga4gh_visa_v1.{name} must be a non-empty string")
        asserted = visa.get("asserted")
        if not _number(asserted):
            raise Refused(f"the {what}'s ga4gh_visa_v1.asserted must be a number (epoch seconds)")
        if asserted > claims["iat"]:
            raise Refused(f"the {what} asserts after it was issued (asserted > iat)")
        if visa.get("conditions"):
            raise Refused(f"the {what} has conditions, which Commons does not evaluate")
        if visa["type"] not in issuer.visa_types:
            raise Refused(f"the {what}'s type {visa['type']!r} is not trusted from {issuer.iss}")
        if issuer.sources is not None and visa["source"] not in issuer.sources:
            raise Refused(f"the {what}'s source {visa['source']!r} is not trusted")
        ends = min(int(claims["exp"]), int(asserted) + self.max_ttl)
        grants = []
        study = STUDY_IN_VALUE.search(visa["value"])
        if visa["type"] == CONTROLLED_ACCESS and visa.get("by") == "dac" and study:
            grants.append(Grant(study[1] + (study[2] or ""), ends))
        for permission in claims.get("ras_dbgap_permissions") or []:
            if not isinstance(permission, dict):
                continue
            phs, consent = permission.get("phs_id"), permission.get("consent_group")
            expiration = permission.get("expiration")
            if (
                isinstance(phs, str)
                and PHS_ID.fullmatch(phs)
                and isinstance(consent, str)
                and CONSENT.fullmatch(consent)
                and _number(expiration)
            ):
                grants.append(Grant(f"{phs}.{consent}", min(ends, int(expiration))))
        return [grant for grant in grants if grant.expires > time.time()]

    def check(self, token: str) -> Passport:
        """The passport's holder and grants, or a 401 that says why not; logged either way."""
        record: dict[str, Any] = {"event": "passport", "visas": []}
        try:
            issuer, claims = self._verified(token, "passport", visa=False)
            found = Passport(issuer.iss, str(claims["sub"]))
            record.update(issuer=found.issuer, subject=found.subject)
            visas = claims.get("ga4gh_passport_v1")
            if not isinstance(visas, list) or not all(isinstance(v, str) for v in visas):
                raise Refused("the passport's ga4gh_passport_v1 must be a list of visa JWTs")
            reasons = []
            for position, visa in enumerate(visas):
                seen: dict[str, Any] = {"visa": position}
                try:
                    visa_issuer, visa_claims = self._verified(visa, f"visa {position}", visa=True)
                    seen.update(iss=visa_issuer.iss, jti=visa_claims.get("jti"))
                    grants = self._grants(visa_issuer, visa_claims, f"visa {position}")
                    seen["grants"] = [grant.study for grant in grants]
                    found.grants += grants
                except Refused as refusal:
                    seen["refused"] = str(refusal)
                    reasons.append(str(refusal))
                record["visas"].append(seen)
            if not found.grants:
                raise Refused(
                    "the passport grants no access: "
                    + ("; ".join(reasons) or "it holds no visa granting a study")
                )
        except Refused as refusal:
            audit.info(json.dumps({**record, "decision": "refused", "reason": str(refusal)}))
            raise AuthError(refusal.status, str(refusal)) from None
        record["grants"] = [{"study": g.study, "expires": g.expires} for g in found.grants]
        audit.info(json.dumps({**record, "decision": "accepted"}))
        return found
