"""Files written for other jobs are checked by their readers; the same content, the same bytes."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from metabayes.bandits.index_tables import make_index_tables, read_index_tables
from metabayes.io import CorruptFile, sealed_hdf5, verified_hdf5, write_manifest
from metabayes.tasks.bandit import BANDIT_TASKS
from metabayes.training.checkpoints import Checkpoints

TASK = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]


def _checkpoints() -> Checkpoints:
    generator = torch.Generator().manual_seed(0)
    states = {
        update: {"w": torch.randn(4, 3, generator=generator), "b": torch.zeros(4)}
        for update in (0, 10)
    }
    return Checkpoints(task="t", seed=1, settings={"lr": 0.1}, states=states, code_version="v")


def test_a_changed_value_in_a_table_file_is_refused_naming_the_file_and_the_fix(tmp_path):
    path = tmp_path / "tables.h5"
    make_index_tables(path, TASK, episode_length=3)
    tables = read_index_tables(path, TASK)
    with h5py.File(path, "r+") as f:  # the file stays a readable table file
        f["arm0/index"][0, 0] = f["arm0/index"][0, 0] - 0.1
    with pytest.raises(CorruptFile) as error:
        read_index_tables(path, TASK)
    message = str(error.value)
    assert str(path) in message and f"snakemake --forcerun {path}" in message
    assert "changed or corrupted" in message
    assert tables[0][0, 0] != 0  # the check was not vacuous


def test_eight_changed_bytes_inside_a_checkpoint_tensor_are_refused(tmp_path):
    path = tmp_path / "checkpoints.pt"
    checkpoints = _checkpoints()
    checkpoints.save(path)
    Checkpoints.load(path)  # reads back as written
    content = bytearray(path.read_bytes())
    tensor = checkpoints.states[10]["w"].numpy().tobytes()
    at = content.find(tensor)
    assert at > 0
    content[at + 8 : at + 16] = bytes(8)
    path.write_bytes(bytes(content))
    torch.load(path, weights_only=True)  # torch itself does not notice
    with pytest.raises(CorruptFile, match="snakemake --forcerun"):
        Checkpoints.load(path)


def test_the_same_checkpoints_give_the_same_bytes_under_any_name(tmp_path):
    _checkpoints().save(tmp_path / "a.pt")
    _checkpoints().save(tmp_path / "sub" / "b.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "sub" / "b.pt").read_bytes()


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f["group/data"].__setitem__(3, 7.5),
        lambda f: f["group/data"].attrs.__setitem__("unit", "ms"),
        lambda f: f.attrs.__setitem__("seed", 2),
        lambda f: f.create_dataset("extra", data=[1]),
        lambda f: f.__delitem__("group/names"),
    ],
)
def test_any_change_to_a_sealed_hdf5_file_is_refused(tmp_path, change):
    path = tmp_path / "x.h5"
    with sealed_hdf5(path) as f:
        f.attrs["seed"] = 1
        f.create_dataset("group/data", data=np.arange(10.0), compression="gzip")
        f["group/data"].attrs["unit"] = "s"
        f.create_dataset("group/names", data=np.array(["a", "bc"], dtype=h5py.string_dtype()))
    with verified_hdf5(path) as f:
        assert f["group/data"][3] == 3.0
    with h5py.File(path, "r+") as f:
        change(f)
    with pytest.raises(CorruptFile, match="does not match"), verified_hdf5(path):
        pass


def test_an_hdf5_file_without_a_digest_is_refused(tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=[1, 2])
    with pytest.raises(CorruptFile, match="records no content digest"), verified_hdf5(path):
        pass


def test_the_manifest_lists_results_but_logs_timings_and_hidden_files(tmp_path):
    results = tmp_path / "results"
    for name in ("a.csv", "fig.pdf", "models/t/seed0/checkpoints.pt", "logs/x.log"):
        (results / name).parent.mkdir(parents=True, exist_ok=True)
        (results / name).write_text(name)
    (results / "benchmarks").mkdir()
    (results / "benchmarks" / "x.tsv").write_text("1")
    (results / ".fig.pdf.123.tmp").write_text("partial")
    manifest = results / "manifest.sha256"
    assert write_manifest(results, manifest) == 3
    lines = manifest.read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == [
        f"{results}/a.csv",
        f"{results}/fig.pdf",
        f"{results}/models/t/seed0/checkpoints.pt",
    ]
    assert write_manifest(results, manifest) == 3  # the manifest does not list itself


def test_the_same_figure_gives_the_same_pdf_bytes(tmp_path, monkeypatch):
    """Saved at different times (matplotlib dates a PDF from SOURCE_DATE_EPOCH if set), the
    same figure gives the same bytes."""
    import matplotlib.pyplot as plt

    from metabayes.plotting import figures

    for name, epoch in (("a.pdf", "1000000000"), ("b.pdf", "2000000000")):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        figure, axes = plt.subplots()
        axes.plot([0, 1], [1, 0])
        figures.save(figure, tmp_path / name)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
