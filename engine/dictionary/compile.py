"""Everything the engine derives from a dictionary, compiled once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass

from engine.dictionary.loader import load_dictionary
from engine.dictionary.model import Dictionary
from engine.dictionary.sdl import compile_sdl
from engine.dictionary.validators import EntityValidator, compile_validators
from engine.graph.ddl import compile_ddl


@dataclass(frozen=True)
class CompiledDictionary:
    dictionary: Dictionary
    # Idempotent Cypher constraints and indexes (engine.graph.ddl.apply_ddl runs them).
    ddl: list[str]
    # One Draft 4 validator per node type, for submitted entities.
    validators: dict[str, EntityValidator]
    # The GraphQL schema in SDL.
    sdl: str


def compile_dictionary(source: str | os.PathLike[str] | Dictionary) -> CompiledDictionary:
    """Load the dictionary folder `source` (or take a loaded Dictionary) and compile all of it."""
    dictionary = source if isinstance(source, Dictionary) else load_dictionary(source)
    return CompiledDictionary(
        dictionary=dictionary,
        ddl=compile_ddl(dictionary),
        validators=compile_validators(dictionary),
        sdl=compile_sdl(dictionary),
    )
