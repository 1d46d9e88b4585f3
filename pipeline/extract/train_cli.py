"""``parley train``: train the learned parts of the extractor from the project's annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.extract import cue_training, training

app = typer.Typer(
    help="Train the extractor's learned parts from annotated data.", no_args_is_help=True
)

# The dev parts of the two hand-annotated sets: official pages and US news, and wire copy.
_DEFAULT_GOLD = [Path("tests/fixtures/triggers/dev.jsonl"), Path("tests/fixtures/wire/dev.jsonl")]


@app.command()
def triggers(
    gold: Annotated[
        list[Path],
        typer.Option(help="Annotated documents (JSON lines with text and triggers)."),
    ] = _DEFAULT_GOLD,
    language: Annotated[str, typer.Option(help="Language of the model.")] = "en",
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write the model (default: the packaged model file)."),
    ] = None,
) -> None:
    """Train the trigger keep/drop and stance model (pipeline/extract/trigger_model.py).

    Its 5-fold cross-validated quality: python -m benchmarks.eval_triggers --cross-validate"""
    from pipeline.extract import trigger_training as tt
    from pipeline.extract.trigger_model import model_file

    docs = tt.read_documents(gold)
    data = tt.examples(docs, tt.rule_finder(language))
    if not data:
        raise typer.BadParameter(f"no {language} training examples in {gold}")
    model = tt.train(data)
    target = output or Path(__file__).with_name("data") / model_file(language)
    tt.write(model, target, [f"{p.parent.name}/{p.name}" for p in gold], len(data))
    typer.echo(
        f"{len(data)} candidates, keep model {len(model.keep.weights)} features, "
        f"stance model {len(model.stance.weights)} features -> {target}"
    )


# ``parley train statements``: the statement-boundary CRF (pipeline/extract/training.py).
app.command("statements")(training.statements)

# ``parley train cues``: the keep/drop model of words outside the cue lexicon
# (pipeline/extract/cue_training.py).
app.command("cues")(cue_training.cues)
