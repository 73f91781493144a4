"""The one table of layers and models: everything reads it, nothing else names them."""
import pathlib
import re

import pytest

import crosscheck
from modelspec import table
from tests.helpers import names_spelled, option_names

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


def _names_as_literals(names):
    return re.compile("[\"'](" + "|".join(map(re.escape, names)) + ")[\"']")


def test_no_module_spells_a_layer_or_model_name_but_the_table_and_the_entries_own_modules():
    own = {"modelspec/table.py"}
    for entry in table.ENTRIES:
        own |= {m.replace(".", "/") + ".py" for m in (entry.manual, entry.auto, entry.spec)}
    # a name that is also an option name ("activation") is spelled as that option in many
    # modules: it is counted where it is not used as an option (tests.helpers.names_spelled)
    options = option_names()
    literal = _names_as_literals([name for name in table.names() if name not in options])
    found = []
    for package in ("manual", "auto", "modelspec", "crosscheck", "training", "benchmarks"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in own:
                continue
            text = path.read_text()
            for number, line in enumerate(text.splitlines(), 1):
                if literal.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
            found += [f"{relative}:{number}: {name!r}"
                      for number, name in names_spelled(text, set(table.names()) & options, options)]
    assert not found, "names spelled outside the table:\n" + "\n".join(found)


def test_a_name_that_is_also_an_option_is_found_where_it_names_the_entry():
    source = ("crosscheck.get('activation')\n"
              "crosscheck.verify('activation', seed=0)\n"
              "table.Entry('activation', 'layer', 'elementwise')\n"
              "if name == 'activation': pass\n"
              "options.get('activation', 'tanh')\n"
              "check_option('activation', value, ACTIVATIONS)\n"
              "options['activation'] = {'activation': 'relu'}\n")
    assert names_spelled(source, {"activation"}, {"activation"}) == [(n, "activation") for n in (1, 2, 3, 4)]
    assert len(names_spelled(source, {"activation"})) == 8       # not an option: every spelling counts
    assert "activation" in option_names()


def test_the_readme_table_is_the_registry():
    readme = (ROOT / "README.md").read_text()
    from crosscheck.cli import markdown_table
    assert markdown_table() in readme, "regenerate it with `crosscheck list --markdown`"


def test_unknown_names_are_refused_with_the_known_ones():
    known = "linear, activation, recurrent, lstm, gru, embedding, stack, mlp, rnn, seqnet"
    with pytest.raises(ValueError, match=f"unknown layer or model 'transformer'; known: {known}"):
        table.get("transformer")
