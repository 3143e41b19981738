"""`commons dictionary ...`: check, compile and show a Gen3 data dictionary from the shell."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import NoReturn

import click
from graphql import GraphQLError, build_schema, validate_schema
from rich.console import Console
from rich.table import Table

from engine.dictionary.compile import CompiledDictionary, compile_dictionary
from engine.dictionary.errors import DictionaryError
from engine.dictionary.loader import load_dictionary
from engine.dictionary.model import Dictionary, NodeType, Property

FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)
ENUM_SHOWN = 6


def _report(error: DictionaryError) -> NoReturn:
    for message in error.messages:
        click.echo(message, err=True)
    click.secho(f"{len(error.messages)} problem(s) found.", fg="red", err=True)
    sys.exit(1)


def print_warnings(dictionary: Dictionary) -> None:
    """Each warning on stderr, `warning: file: json.path: message`, as `commons serve` prints them too."""
    for message in dictionary.warnings:
        click.secho(f"warning: {message}", fg="yellow", err=True)


def _load(directory: Path) -> Dictionary:
    try:
        loaded = load_dictionary(directory)
    except DictionaryError as error:
        _report(error)
    print_warnings(loaded)
    return loaded


def _compile(directory: Path) -> CompiledDictionary:
    try:
        compiled = compile_dictionary(directory)
    except DictionaryError as error:
        _report(error)
    print_warnings(compiled.dictionary)
    return compiled


@click.group()
def dictionary() -> None:
    """Check, compile and inspect a data dictionary (a folder of Gen3 YAML files).

    A dictionary has one YAML file per node type plus shared files such as
    _definitions.yaml, _terms.yaml and _settings.yaml.
    """


@dictionary.command()
@click.argument("directory", type=FOLDER)
@click.option("--strict", is_flag=True, help="Refuse warnings too (exit 1), as errors are refused.")
def check(directory: Path, strict: bool) -> None:
    """Load DIRECTORY, check it and compile it; print a summary.

    Every problem is printed to stderr, one per line, as
    `file: json.path: what is wrong`; the exit code is then 1. The GraphQL
    schema is parsed and validated too, as the API server will.

    Warnings (`warning: file: json.path: ...`) are quirks that Gen3 loads
    and Commons serves as the message says; with --strict they fail the
    check as well.
    """
    compiled = _compile(directory)
    try:
        problems = [error.message for error in validate_schema(build_schema(compiled.sdl))]
    except GraphQLError as error:
        problems = [error.message]
    if problems:
        _report(DictionaryError([f"GraphQL schema: {problem}" for problem in problems]))
    nodes = compiled.dictionary.nodes
    links = sum(len(node.links) for node in nodes.values())
    categories = compiled.dictionary.categories
    click.echo(
        f"{directory}: {len(nodes)} node types, {links} links, "
        f"{len(categories)} categories ({', '.join(categories)})"
    )
    warnings = len(compiled.dictionary.warnings)
    if warnings:
        refused = " (refused: --strict)" if strict else ""
        click.secho(f"{warnings} warning(s){refused}.", fg="red" if strict else "yellow", err=True)
        if strict:
            sys.exit(1)


@dictionary.command("compile")
@click.argument("directory", type=FOLDER)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write schema.cypher, schema.graphql and validators/<node>.json into.",
)
def compile_command(directory: Path, out: Path) -> None:
    """Compile DIRECTORY into graph DDL, entity validators and a GraphQL schema."""
    compiled = _compile(directory)
    (out / "validators").mkdir(parents=True, exist_ok=True)
    (out / "schema.cypher").write_text("".join(f"{statement};\n" for statement in compiled.ddl))
    (out / "schema.graphql").write_text(compiled.sdl)
    for name, validator in compiled.validators.items():
        (out / "validators" / f"{name}.json").write_text(
            json.dumps(validator.schema, indent=2) + "\n"
        )
    click.echo(
        f"Wrote {out / 'schema.cypher'} ({len(compiled.ddl)} statements), {out / 'schema.graphql'}, "
        f"and {len(compiled.validators)} validators in {out / 'validators'}"
    )


@dictionary.command()
@click.argument("directory", type=FOLDER)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write the SDL to  [default: stdout]",
)
def sdl(directory: Path, output: Path | None) -> None:
    """Print (or write) the GraphQL SDL of DIRECTORY.

    The SDL of the default dictionary is kept in graphql/default.graphql:
    `commons dictionary sdl dictionaries/default -o graphql/default.graphql`.
    """
    text = _compile(directory).sdl
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)
        click.echo(f"Wrote {output}", err=True)


def _type_text(prop: Property) -> str:
    """`integer [0, 89]`, `array of number`, `enum (12)`: the kind with what constrains it."""
    text = prop.kind
    if prop.kind == "array" and prop.item_kind:
        text = f"array of {prop.item_kind}"
    if prop.kind == "enum":
        text = f"enum ({len(prop.enum)})"
    if prop.minimum is not None or prop.maximum is not None:
        low = "(" if prop.exclusive_minimum else "["
        high = ")" if prop.exclusive_maximum else "]"
        low_value = "" if prop.minimum is None else f"{prop.minimum:g}"
        high_value = "" if prop.maximum is None else f"{prop.maximum:g}"
        text += f" {low}{low_value}, {high_value}{high}"
    if "null" in prop.types:
        text += " | null"
    return text


def _values_text(prop: Property) -> str:
    values = [str(value) for value in (prop.enum or prop.item_enum)]
    if len(values) > ENUM_SHOWN:
        return ", ".join(values[:ENUM_SHOWN]) + f", … (+{len(values) - ENUM_SHOWN})"
    return ", ".join(values)


def _show_dictionary(console: Console, loaded: Dictionary) -> None:
    table = Table(title=f"{loaded.source}: {len(loaded.nodes)} node types")
    for column in ("category", "node type"):
        table.add_column(column, no_wrap=True)
    for column in ("title", "properties", "links to", "submittable"):
        table.add_column(column)
    for node in sorted(loaded.nodes.values(), key=lambda item: (item.category, item.name)):
        targets = ", ".join(sorted({link.target for link in node.links}))
        table.add_row(
            node.category,
            node.name,
            node.title,
            str(len(node.properties)),
            targets,
            "yes" if node.submittable else "no",
        )
    console.print(table)


def _show_node(console: Console, node: NodeType) -> None:
    console.print(f"[bold]{node.name}[/bold] ({node.title}), category {node.category}")
    if node.description:
        console.print(node.description)
    properties = Table(title="properties")
    properties.add_column("property", no_wrap=True)
    for column in ("type", "required", "values", "notes"):
        properties.add_column(column)
    for prop in node.properties.values():
        notes = ", ".join(
            note for note, on in (("system", prop.system), ("deprecated", prop.deprecated)) if on
        )
        properties.add_row(
            prop.name, _type_text(prop), "yes" if prop.required else "", _values_text(prop), notes
        )
    console.print(properties)
    edges = Table(title="links (out: declared here; in: backrefs of other node types)")
    edges.add_column("field", no_wrap=True)
    for column in ("direction", "node type", "multiplicity", "required", "group"):
        edges.add_column(column)
    for edge in node.edges.values():
        required = "yes" if edge.direction != "in" and edge.link.required else ""
        group = ".".join(str(item) for item in edge.link.groups) if edge.direction != "in" else ""
        edges.add_row(edge.name, edge.direction, edge.target, edge.multiplicity, required, group)
    console.print(edges)


@dictionary.command()
@click.argument("directory", type=FOLDER)
@click.argument("node", required=False)
def show(directory: Path, node: str | None) -> None:
    """Show the node types of DIRECTORY by category, or one NODE in detail.

    For a node: its properties (type, required, enum values, system or
    deprecated) and its links, both those it declares and the backrefs
    other node types point at it with.
    """
    loaded = _load(directory)
    console = Console()
    if node is None:
        _show_dictionary(console, loaded)
    elif node in loaded.nodes:
        _show_node(console, loaded.nodes[node])
    else:
        close = difflib.get_close_matches(node, loaded.nodes, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        click.secho(f"Error: no node type '{node}' in {directory}.{hint}", fg="red", err=True)
        sys.exit(1)


from engine.dictionary.diff_cli import diff  # noqa: E402

dictionary.add_command(diff)
