"""`load_dictionary`: a folder of Gen3 YAML -> the typed, checked `Dictionary`.

Every node file is resolved (`$ref`), checked against the metaschema, then
cross-checked against the others; all problems are collected and raised
together as one DictionaryError, so a steward fixes a dictionary in one pass.
(A file failing the metaschema is cross-checked once that is fixed: its
parts cannot be trusted to have the shapes the cross-checks read.)
Files whose names start with `_` (`_definitions.yaml`, `_terms.yaml`,
`_settings.yaml`, ...) hold shared parts, not node types; nor does
`metaschema.yaml`, which the GDC keeps next to its nodes and dictionaryutils
skips by that name. What Gen3 loads but a steward should know about comes
back as warnings on the Dictionary (see errors.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.dictionary.checks import check_node
from engine.dictionary.edges import build_edges
from engine.dictionary.errors import DictionaryError, ErrorList
from engine.dictionary.links import ParsedLinks, parse_links
from engine.dictionary.metaschema import MetaschemaChecker
from engine.dictionary.model import Dictionary, Edge, NodeType
from engine.dictionary.ordering import ImportOrder, import_order
from engine.dictionary.properties import build_property
from engine.dictionary.resolver import Resolver, read_yaml, unreadable

# The one file name, besides `_*.yaml`, that holds no node type: dictionaryutils and the GDC skip it.
METASCHEMA = "metaschema.yaml"


def _read_folder(folder: Path, errors: ErrorList) -> dict[str, Any]:
    """Every top-level YAML file by name; sub-folders (Gen3 keeps per-project overrides there) are not read."""
    documents: dict[str, Any] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            documents[path.name] = read_yaml(path)
        except (OSError, yaml.YAMLError) as error:
            errors.add(path.name, [], unreadable(error))
    return documents


@dataclass(frozen=True)
class _NodeFile:
    file: str
    document: dict[str, Any]


def _node_files(
    folder: Path, documents: dict[str, Any], resolver: Resolver, errors: ErrorList
) -> tuple[dict[str, _NodeFile], set[str]]:
    """(resolved node files that pass the metaschema, by node type; every node type name claimed).

    A file that fails still claims its id and its file name, so that the
    links pointing to it are not reported as well: one mistake, one message.
    """
    nodes: dict[str, _NodeFile] = {}
    claimed: set[str] = set()
    checker = MetaschemaChecker()
    for path in sorted(folder.glob("*.yaml")):
        file = path.name
        if file.startswith("_"):
            continue
        if file == METASCHEMA:
            errors.warn(
                file, [], "a metaschema, not a node type: not loaded (as dictionaryutils does)"
            )
            continue
        claimed.add(path.stem)
        if file not in documents:
            continue  # unreadable, already reported
        document = resolver.resolve_document(file)
        if isinstance(document, dict) and isinstance(document.get("id"), str):
            claimed.add(document["id"])
        if not checker.check(file, document, errors):
            continue
        name = document["id"]
        if name in nodes:
            errors.add(file, ["id"], f"'{name}' is already the id of {nodes[name].file}")
            continue
        nodes[name] = _NodeFile(file, document)
    return nodes, claimed


def _shared(documents: dict[str, Any], name: str) -> dict[str, Any]:
    """A `_*.yaml` document as written ({} when absent): Gen3 serves these unresolved.

    Only the parts a node references are resolved (and so checked), as in
    dictionaryutils: real dictionaries carry unused definitions whose
    references point nowhere.
    """
    document = documents.get(name)
    return document if isinstance(document, dict) else {}


def _node_type(document: dict[str, Any], parsed: ParsedLinks, edges: dict[str, Edge]) -> NodeType:
    name = document["id"]
    required = tuple(document.get("required", ()))
    system = tuple(document.get("systemProperties", ()))
    listed_deprecated = tuple(document.get("deprecated", ()))
    properties = {
        prop: build_property(
            prop,
            schema,
            required=prop in required,
            system=prop in system,
            deprecated=prop in listed_deprecated,
        )
        for prop, schema in document["properties"].items()
        if prop not in edges
    }
    flagged = tuple(
        prop
        for prop, value in properties.items()
        if value.deprecated and prop not in listed_deprecated
    )
    return NodeType(
        name=name,
        title=str(document.get("title") or name),
        category=document["category"],
        description=" ".join(str(document.get("description") or "").split()),
        submittable=document.get("submittable", True),
        additional_properties=document.get("additionalProperties", True),
        properties=properties,
        required=required,
        system_properties=tuple(prop for prop in system if prop in properties),
        unique_keys=tuple(tuple(key) for key in document.get("uniqueKeys", ())),
        links=parsed.links,
        link_groups=parsed.groups,
        edges=edges,
        validators=tuple(
            item["function"] if isinstance(item, dict) else str(item)
            for item in document.get("validators") or ()
        ),
        deprecated=listed_deprecated + flagged,
        namespace=str(document.get("namespace") or ""),
        schema=document,
    )


def _warn_about_cycles(
    order: ImportOrder, parsed: dict[str, ParsedLinks], errors: ErrorList
) -> None:
    """One warning per link left pointing to a later type, at the link, naming its cycle."""
    for broken in order.broken:
        link = broken.link
        links = parsed[link.source]
        site = links.sites[links.links.index(link)]
        consequence = (
            "a record of it can be submitted only together with its target (in one request)"
            if broken.required
            else "it can be filled only once its target exists"
        )
        errors.warn(
            site.file,
            site.path,
            f"links form a cycle ({' -> '.join(broken.cycle)}); the import order breaks it here, "
            f"putting {link.target} after {link.source}: {consequence}",
        )


def load_dictionary(path: str | os.PathLike[str]) -> Dictionary:
    """Load, resolve and check the dictionary in folder `path`; raises DictionaryError listing every problem."""
    folder = Path(path)
    if not folder.is_dir():
        raise DictionaryError([f"{path}: not a folder (a dictionary is a folder of YAML files)"])
    errors = ErrorList()
    documents = _read_folder(folder, errors)
    resolver = Resolver(folder, documents, errors)
    files, claimed = _node_files(folder, documents, resolver, errors)
    if not files and not errors:
        errors.add(str(path), [], "no node types found (expected one YAML file per node type)")
    parsed = {
        name: parse_links(name, node.file, node.document.get("links", []))
        for name, node in files.items()
    }
    for name, node in files.items():
        check_node(node.file, node.document, parsed[name], claimed, errors)
    plain_properties = {
        name: set(node.document["properties"]) - {link.name for link in parsed[name].links}
        for name, node in files.items()
    }
    edges = build_edges(plain_properties, parsed, errors)
    resolver.warn_about_lists()
    errors.raise_if_any()
    nodes = {
        name: _node_type(files[name].document, parsed[name], edges[name]) for name in sorted(files)
    }
    order = import_order(nodes.values())
    _warn_about_cycles(order, parsed, errors)
    return Dictionary(
        source=str(folder.resolve()),
        nodes=nodes,
        import_order=order.order,
        categories=tuple(sorted({node.category for node in nodes.values()})),
        settings=_shared(documents, "_settings.yaml"),
        definitions=_shared(documents, "_definitions.yaml"),
        terms=_shared(documents, "_terms.yaml"),
        warnings=tuple(errors.warnings),
    )
