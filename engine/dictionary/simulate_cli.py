"""`commons simulate`: write synthetic records for a dictionary as Gen3 TSV or JSON files.

One file per node type, named `NN_<node>.tsv` (or `.json`) with NN the
position in import order, so submitting the files in name order creates
every link target before the records pointing at it.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.dictionary.errors import DictionaryError
from engine.dictionary.loader import load_dictionary
from engine.dictionary.simulate import simulate as simulate_records
from engine.submission.tabular import write_table


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
            with path.open("w", encoding="utf-8") as stream:
                stream.writelines(write_table(dictionary.nodes[name], rows, "\t"))
    total = sum(len(rows) for rows in records.values())
    click.echo(f"Wrote {total} records of {len(records)} node types to {out}.")
    click.echo(f"Submit the files in name order to /api/v0/submission/{program}/{project}.")
