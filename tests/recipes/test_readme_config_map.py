"""The README's configuration map names real options: every option it lists is a file in its conf group, every
dotted key it quotes exists, and every option file of a listed group is in the map."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, compose_train
from omegaconf import OmegaConf

CONF = ROOT / "conf"
KEY = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
FILE_SUFFIXES = ("yaml", "py", "json", "md", "db")


def map_rows() -> list[tuple[list[str], str]]:
    """(group names, options cell) for each row of the README's "Configuration map" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration map", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`"):
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def outside_parentheses(cell: str) -> str:
    depth, kept = 0, []
    for char in cell:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")" and depth > 0
    return "".join(kept)


def listed_options(cell: str) -> list[str]:
    """Options are the backticked names outside parentheses; in a `name`: description segment, only the name."""
    options = []
    for segment in outside_parentheses(cell).split(";"):
        named = re.findall(r"`([^`]+)`:", segment)
        options += named or re.findall(r"`([^`]+)`", segment)
    return [option for option in options if not KEY.match(option)]


def quoted_keys(cell: str) -> list[str]:
    return [token for token in re.findall(r"`([^`]+)`", cell)
            if KEY.match(token) and token.rsplit(".", 1)[1] not in FILE_SUFFIXES]


def has_path(data: object, path: list[str]) -> bool:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def key_exists(dotted: str, default_cfg) -> bool:
    """In the default composition, or in any option file of its group (a key only some options have)."""
    group, *rest = dotted.split(".")
    if OmegaConf.select(default_cfg, dotted, default=None) is not None:
        return True
    for file in sorted((CONF / group).glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
        if has_path(data, [group, *rest] if "@package _global_" in text else rest):
            return True
    return False


ROWS = map_rows()


def test_the_map_has_a_row_for_every_config_group() -> None:
    groups = {name for names, _ in ROWS for name in names}
    assert len(ROWS) >= 20
    dirs = {path.name for path in CONF.iterdir() if path.is_dir()} - {"hydra"}
    assert dirs - groups == set()
    assert "hydra/launcher" in groups


@pytest.mark.parametrize("names, cell", ROWS, ids=[", ".join(names) for names, _ in ROWS])
def test_every_listed_option_and_key_exists(names: list[str], cell: str, tmp_path: Path) -> None:
    default_cfg = compose_train(tmp_path, [])
    folders = [CONF / name for name in names if (CONF / name).is_dir()]
    for option in listed_options(cell):
        if folders:
            assert any((folder / f"{option}.yaml").is_file() for folder in folders), f"{names}: no option {option}"
        else:  # keys of train.yaml, listed under their own names
            assert all(OmegaConf.select(default_cfg, f"{name}.{option}", default=None) is not None
                       for name in names), f"{names}: no key {option}"
    for key in quoted_keys(cell):
        if key.split(".")[0] not in default_cfg:
            continue  # a library's name (transformers.get_scheduler), not a config key
        assert key_exists(key, default_cfg), f"{names}: no key {key}"
    if not folders:
        assert all(name in default_cfg for name in names), f"{names}: not keys of train.yaml"


def test_every_option_file_of_a_listed_group_is_listed() -> None:
    listed: dict[str, set[str]] = {}
    for names, cell in ROWS:
        for name in names:
            listed.setdefault(name, set()).update(listed_options(cell))
    missing = {name: sorted({p.stem for p in (CONF / name).glob("*.yaml")} - options)
               for name, options in listed.items() if (CONF / name).is_dir()}
    assert {name: stems for name, stems in missing.items() if stems} == {}
