"""``parley train``: train the learned parts of the extractor from the project's annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.extract import training

app = typer.Typer(
    help="Train the extractor's learned parts from annotated data.", no_args_is_help=True
)

_DEFAULT_GOLD = Path("tests/fixtures/triggers/dev.jsonl")


@app.command()
def triggers(
    gold: Annotated[
        list[Path],
        typer.Option(help="Annotated documents (JSON lines with text and triggers)."),
    ] = [_DEFAULT_GOLD],  # noqa: B006 - typer reads the default, never mutates it
    language: Annotated[str, typer.Option(help="Language of the model.")] = "en",
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write the model (default: the packaged model file)."),
    ] = None,
    c: Annotated[float, typer.Option("--c", help="Inverse L2 regularisation strength.")] = 0.1,
    cross_validate: Annotated[
        bool, typer.Option(help="Only report 5-fold stance accuracy (by document), rules vs model.")
    ] = False,
) -> None:
    """Train the trigger stance model (pipeline/extract/stance_model.py)."""
    from pipeline.extract import stance_training as st
    from pipeline.extract.stance_model import model_file

    docs = st.read_documents(gold)
    data = st.examples(docs, st.rule_finder(language))
    if not data:
        raise typer.BadParameter(f"no {language} training examples in {gold}")
    if cross_validate:
        cv = st.cross_validate(data, c)
        typer.echo(
            f"{cv['examples']:.0f} examples: stance accuracy rules {cv['rules_accuracy']:.3f}, "
            f"model {cv['model_accuracy']:.3f} (C={c})"
        )
        return
    model = st.train(data, c)
    target = output or Path(__file__).with_name("data") / model_file(language)
    st.write(model, target, [p.name for p in gold], len(data), c)
    typer.echo(f"{len(data)} examples, {len(model.weights)} features -> {target}")


# ``parley train statements``: the statement-boundary CRF (pipeline/extract/training.py).
app.command("statements")(training.statements)
