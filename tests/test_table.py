"""The one table of layers and models: everything reads it, nothing else names them."""
import pathlib
import re

import pytest

import crosscheck
from modelspec import table

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("entry", table.ENTRIES, ids=table.names())
def test_every_entry_has_its_three_parts_and_is_registered(entry):
    manual, auto, spec = entry.manual_module(), entry.auto_module(), entry.spec_module()
    assert callable(spec.shapes)
    if entry.kind == "layer":
        assert callable(manual.forward) and callable(manual.backward) and callable(auto.forward)
    else:
        for fn in ("init_params", "forward", "backward", "loss_and_grads"):
            assert callable(getattr(manual, fn)), fn
        assert callable(auto.loss)
    model = crosscheck.get(entry.name)
    assert (model.kind, model.description) == (entry.kind, entry.description)


def test_the_registry_is_the_table_in_order():
    assert crosscheck.models() == table.names()
    assert crosscheck.models("layer") == table.names("layer")


def _names_as_literals():
    return re.compile("[\"'](" + "|".join(map(re.escape, table.names())) + ")[\"']")


def test_no_module_spells_a_layer_or_model_name_but_the_table_and_the_entries_own_modules():
    own = {"modelspec/table.py"}
    for entry in table.ENTRIES:
        own |= {m.replace(".", "/") + ".py" for m in (entry.manual, entry.auto, entry.spec)}
    literal = _names_as_literals()
    found = []
    for package in ("manual", "auto", "modelspec", "crosscheck", "training", "benchmarks"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in own:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if literal.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "names spelled outside the table:\n" + "\n".join(found)


def test_the_readme_table_is_the_registry():
    readme = (ROOT / "README.md").read_text()
    from crosscheck.cli import markdown_table
    assert markdown_table() in readme, "regenerate it with `crosscheck list --markdown`"


def test_unknown_names_are_refused_with_the_known_ones():
    known = "linear, recurrent, lstm, gru, embedding, stack, mlp, rnn, seqnet"
    with pytest.raises(ValueError, match=f"unknown layer or model 'transformer'; known: {known}"):
        table.get("transformer")
