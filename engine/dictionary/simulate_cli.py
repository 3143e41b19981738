"""`commons simulate`: write synthetic records for a dictionary as Gen3 TSV or JSON files.

One file per node type, named `NN_<node>.tsv` (or `.json`) with NN the
position in import order, so submitting the files in name order creates
every link target before the records pointing at it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click

from engine.dictionary.errors import DictionaryError
from engine.dictionary.loader import load_dictionary
from engine.dictionary.model import NodeType
from engine.dictionary.simulate import simulate as simulate_records


def tsv_rows(node: NodeType, records: list[dict[str, Any]]) -> list[list[str]]:
    """Gen3 TSV: a header row (`type`, `submitter_id`, properties, `<link>.submitter_id`) then one row per record.

    Arrays and to-many links are joined with commas and booleans written
    `true`/`false`, as sheepdog reads them back; a missing value is empty.
    """
    present = {key for record in records for key in record}
    properties = [
        name for name in node.properties if name in present and name not in ("type", "submitter_id")
    ]
    link_columns: list[tuple[str, str]] = []
    for link in node.links:
        reference = next((record[link.name] for record in records if link.name in record), None)
        if reference is not None:
            first = reference[0] if isinstance(reference, list) else reference
            link_columns.append((link.name, next(iter(first))))
    header = ["type", "submitter_id", *properties, *(f"{name}.{key}" for name, key in link_columns)]
    rows = [header]
    for record in records:
        row = [
            record["type"],
            record["submitter_id"],
            *(_cell(record.get(name)) for name in properties),
        ]
        for name, key in link_columns:
            value = record.get(name)
            references = value if isinstance(value, list) else [value] if value else []
            row.append(",".join(str(reference[key]) for reference in references))
        rows.append(row)
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_cell(item) for item in value)
    return str(value)


@click.command()
@click.argument("dictionary_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--count",
    "-n",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Records per node type.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder to write the files to.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same records.")
@click.option(
    "--program", default="demo", show_default=True, help="Program the records are meant for."
)
@click.option(
    "--project",
    default="simulated",
    show_default=True,
    help="Code of the project the records link to.",
)
@click.option(
    "--format", "file_format", type=click.Choice(["tsv", "json"]), default="tsv", show_default=True
)
def simulate(
    dictionary_dir: str,
    count: int,
    out_dir: str,
    seed: int,
    program: str,
    project: str,
    file_format: str,
) -> None:
    """Write valid, linked synthetic records for every submittable node type of the dictionary in DIR."""
    try:
        dictionary = load_dictionary(dictionary_dir)
    except DictionaryError as error:
        raise click.ClickException(
            f"{dictionary_dir} is not a valid dictionary:\n{error}"
        ) from error
    records = simulate_records(dictionary, count, seed=seed, project=project)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(records))))
    for position, (name, rows) in enumerate(records.items(), start=1):
        path = out / f"{position:0{width}d}_{name}.{file_format}"
        if file_format == "json":
            path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        else:
            with path.open("w", newline="", encoding="utf-8") as stream:
                csv.writer(stream, delimiter="\t", lineterminator="\n").writerows(
                    tsv_rows(dictionary.nodes[name], rows)
                )
    total = sum(len(rows) for rows in records.values())
    click.echo(f"Wrote {total} records of {len(records)} node types to {out}.")
    click.echo(f"Submit the files in name order to /api/v0/submission/{program}/{project}.")
