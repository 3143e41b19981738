"""Gen3 data dictionaries: load and check the YAML, then compile it for the graph, validation and GraphQL."""

from engine.dictionary.errors import DictionaryError
from engine.dictionary.loader import load_dictionary
from engine.dictionary.sdl import compile_sdl
from engine.dictionary.validators import compile_validators

__all__ = ["DictionaryError", "compile_sdl", "compile_validators", "load_dictionary"]
