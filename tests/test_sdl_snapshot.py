"""graphql/default.graphql is the SDL of dictionaries/default, kept in sync.

Docs, clients and reviewers read the schema from that file; this test
fails as soon as the dictionary changes without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.dictionary import compile_sdl, load_dictionary

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY = ROOT / "dictionaries" / "default"
SNAPSHOT = ROOT / "graphql" / "default.graphql"
REGENERATE = "commons dictionary sdl dictionaries/default -o graphql/default.graphql"


def test_default_graphql_matches_the_default_dictionary() -> None:
    if not DICTIONARY.is_dir():
        pytest.skip("dictionaries/default does not exist yet")
    expected = compile_sdl(load_dictionary(DICTIONARY))
    assert SNAPSHOT.is_file(), f"graphql/default.graphql is missing: run `{REGENERATE}`"
    actual = SNAPSHOT.read_text()
    if actual != expected:
        pairs = zip(actual.splitlines(), expected.splitlines(), strict=False)
        line = next((number for number, (old, new) in enumerate(pairs, 1) if old != new), None)
        where = f" (first difference at line {line})" if line else ""
        pytest.fail(f"graphql/default.graphql is stale{where}: run `{REGENERATE}`", pytrace=False)
