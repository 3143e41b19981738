"""GA4GH Passports and Visas: a trusted broker's grants, turned into the grants a policy gives.

`issuers` reads `PASSPORT_ISSUERS` and keeps the issuers' keys,
`validation` checks a passport and its visas into study grants, `grants`
maps studies to resource paths and permissions, and `mint` makes test
passports (a local broker, for tests and the README's example). The
guards stay the one place that checks: a passport holder is a Principal
like any other (engine/auth/authority.py).
"""
