"""The notebooks run top to bottom on the samples, and every cell that draws a chart shows it.

A failing cell fails the suite; so does a chart cell without an image, which is what a backend forced at
import (``matplotlib.use("Agg")``) did silently: the cells ran and Jupyter showed nothing.
"""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: a call to one of flowkit's chart functions or to pyplot draws a figure
DRAWS = re.compile(r"\bcharts\.[a-z_]+\(|\bplt\.[a-z_]+\(")


def draws(cell) -> bool:
    return cell.cell_type == "code" and any(
        DRAWS.search(line) for line in cell.source.splitlines() if not line.lstrip().startswith("#")
    )


def images(cell) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom_and_shows_its_charts(path, monkeypatch):
    # the kernel takes its backend from MPLBACKEND when set; a notebook user's has none, so neither does this
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any(c.cell_type == "code" and c.get("outputs") for c in nb.cells)
    chart_cells = [i for i, c in enumerate(nb.cells) if draws(c)]
    assert chart_cells, f"{path.name} draws no chart"
    blank = [i for i in chart_cells if images(nb.cells[i]) == 0]
    assert not blank, f"{path.name}: chart cells {blank} show no image"


def test_the_chart_detector_sees_chart_calls_and_only_them():
    def code(src):
        return nbformat.v4.new_code_cell(src)

    assert draws(code("pareto = A.pareto(contacts)\ncharts.pareto(pareto);"))
    assert draws(code("fig, ax = plt.subplots()"))
    assert not draws(code("from flowkit.report import charts\nA.pareto(contacts)"))
    assert not draws(code("# charts.pareto(p) is drawn below"))
    assert not draws(nbformat.v4.new_markdown_cell("charts.pareto(p)"))


def test_there_is_a_notebook():
    assert NOTEBOOKS, "notebooks/ has no notebook"
