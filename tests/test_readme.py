"""The README stays true to the workflow: its rule graph is the one Snakemake builds."""

from __future__ import annotations

import os
import re

from .conftest import REPO, snakemake


def mermaid_edges(text: str) -> set[tuple[str, str]]:
    """The (from, to) rule pairs of a mermaid flowchart, with node ids resolved to labels."""
    labels = dict(re.findall(r"^\s*(\w+)\[(\w+)\]", text, re.M))
    edges = re.findall(r"^\s*(\w+) --> (\w+)", text, re.M)
    return {(labels.get(a, a), labels.get(b, b)) for a, b in edges}


def test_readme_rule_graph_is_the_workflows(tmp_path):
    readme = open(os.path.join(REPO, "README.md")).read()
    block = re.search(r"```mermaid\n(.*?)```", readme, re.S)
    assert block, "README has no mermaid rule graph"
    built = snakemake("--rulegraph", "mermaid-js", workdir=tmp_path).stdout
    assert mermaid_edges(built), built
    assert mermaid_edges(block[1]) == mermaid_edges(built)
