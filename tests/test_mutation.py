"""The project's own mutation run (``python -m mutation``): its plan covers manual/, and its
list of equivalent mutants is current and in the README."""
import json

import pytest

from modelspec import table
from tests.helpers import ROOT

import mutation.__main__ as project


def test_the_plan_covers_every_module_of_manual_with_registered_targets():
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "manual").rglob("*.py") if p.name != "__init__.py"}
    assert set(project.PLAN) == modules - {"manual/init.py"}       # initialisers: see mutation/
    for path, targets in project.PLAN.items():
        assert targets and set(targets) <= set(table.names()), path


def test_every_known_equivalent_mutant_exists_has_a_reason_and_is_in_the_readme():
    listed = json.loads(project.EQUIVALENT.read_text())
    ids = [e["id"] for e in listed]
    assert len(ids) == len(set(ids))
    made = {m.id: m for _, _, m in project._plan_mutants()}
    readme = (ROOT / "README.md").read_text()
    for entry in listed:
        assert entry["id"] in made, f"{entry['id']} is no longer a mutant of manual/: remove it"
        assert len(entry["reason"].split()) >= 4, entry
    assert project.equivalent_table() in readme, "regenerate the README's table: python -m mutation --markdown"



@pytest.mark.parametrize("argv, says", [
    (["--file", "manual/nope.py"], "--file 'manual/nope.py' is not in the plan"),
    (["--mutant", "m00000000"], "no mutant 'm00000000' in the plan"),
    (["--sample", "0"], "--sample and --jobs must be >= 1"),
    (["--jobs", "0"], "--sample and --jobs must be >= 1"),
    (["--seed", "-1"], "--seed >= 0"),
])
def test_bad_arguments_are_refused_before_any_mutant_runs(argv, says, capsys):
    with pytest.raises(SystemExit) as stopped:
        project.main(argv)
    assert stopped.value.code == 2 and says in capsys.readouterr().err
