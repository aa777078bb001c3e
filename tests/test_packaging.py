"""The package as pip installs it: one import name, every subpackage and data file, the extras.

pyproject.toml maps the repository's folders `zoo/`, `applications/` and `pretrained/` onto the
one import package `keras_zoo` and lists its subpackages by hand (setuptools cannot discover
renamed folders): these tests fail when a new folder or extra is forgotten there.
"""

from __future__ import annotations

import tomllib
from importlib import metadata, resources
from pathlib import Path

import pytest

from keras_zoo import checkpoints
from keras_zoo.applications import extras

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
FOLDERS = {"zoo": "keras_zoo", "applications": "keras_zoo.applications", "pretrained": "keras_zoo.pretrained"}


def _requirement_name(requirement: str) -> str:
    name = requirement.split(";")[0].split("[")[0]
    for sep in "<>=!~ ":
        name = name.split(sep)[0]
    return name.strip().lower()


def test_every_package_folder_is_listed_in_pyproject():
    folders = set()
    for folder, package in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            folders.add(".".join([package, *relative]))
    assert sorted(PYPROJECT["tool"]["setuptools"]["packages"]) == sorted(folders)
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {v: k for k, v in FOLDERS.items()}


def test_the_installed_distribution_has_one_top_level_package():
    import keras_zoo

    site = Path(keras_zoo.__file__).parents[1]  # not the source tree's own keras_zoo.egg-info
    (dist,) = [d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == "keras-zoo"]
    files = dist.files
    tops = {f.parts[0] for f in files if not f.parts[0].endswith(".dist-info") and f.parts[0] != ".."}
    assert tops == {"keras_zoo"}


def test_shipped_checkpoints_are_found_through_importlib_resources():
    shipped = checkpoints.shipped_dir()
    assert shipped == Path(str(resources.files("keras_zoo.pretrained")))
    in_repo = {p.name for p in (REPO / "pretrained").iterdir() if (p / "config.json").is_file()}
    installed = {c.name for c in checkpoints.available() if c.path.parent == shipped}
    assert in_repo and installed == in_repo
    for name in in_repo:
        for file in ("config.json", "card.json", "model.weights.h5"):
            assert (shipped / name / file).is_file(), f"{name}/{file} is not installed"


def test_the_speech_sample_is_installed():
    from keras_zoo.applications.speech.sample import SAMPLE_PATH

    assert SAMPLE_PATH.is_file() and SAMPLE_PATH.stat().st_size > 1_000_000


@pytest.mark.parametrize("extra", sorted(extras.EXTRAS))
def test_the_cli_knows_each_extra_as_pyproject_declares_it(extra):
    declared = {_requirement_name(r) for r in PYPROJECT["project"]["optional-dependencies"][extra]}
    declared.discard("keras-zoo")  # an extra that includes another
    assert set(extras.EXTRAS[extra].values()) == declared


def test_the_core_dependencies_are_the_four_the_issue_names():
    assert {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]} == {
        "tensorflow", "keras", "numpy", "tqdm"}


def test_every_command_is_assigned_its_extras():
    from keras_zoo.applications.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) == set(extras.COMMAND_EXTRAS)
    assert extras.required_extras("benchmark") == ()
    assert extras.required_extras("benchmark", pipeline=True) == ("apps",)
    assert extras.required_extras("benchmark", reference="torch") == ("torch",)
    assert extras.required_extras("benchmark", reference="keras") == ()
    assert extras.required_extras("tune") == ("apps", "tune")


def test_nothing_is_missing_here_and_require_passes():
    for command in extras.COMMAND_EXTRAS:
        extras.require(command)  # [dev] installs every extra
    assert extras.missing_modules("apps") == []
