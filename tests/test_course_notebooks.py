"""The real course notebooks, run in a Jupyter kernel (nbclient).

Each notebook is its own test, so `pytest -n 2` spreads them over two workers. A notebook runs
where it lives, as in JupyterLab: a solution notebook in solutions/, an assignment in
assignments/ (each folder holds the picture.py its notebooks import), nothing copied. Without
its demo cells a notebook runs in an empty folder: nothing the checks need is beside it.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course import generate

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS = REPO / "assignments"
STAGES = {1: "stage1_local_derivatives", 2: "stage2_backward", 3: "stage3_operators",
          4: "stage4_neural_net", 5: "stage5_training"}
CELL_TIMEOUT = 120  # seconds; the stage 5 demo training run takes a few


def solution_path(stage):
    if not any(SOLUTIONS.glob("stage*.ipynb")):
        pytest.skip("solutions/ holds no stage notebooks yet")
    path = SOLUTIONS / f"{STAGES[stage]}.ipynb"
    assert path.exists(), f"solutions/{path.name} is missing"
    return path


def is_demo(cell):
    return "demo" in cell.metadata.get("tags", [])


def run(nb, folder, allow_errors=False):
    """Run every cell in a kernel whose working directory is folder."""
    # "immediate": once the last cell's outputs are in, the kernel is stopped without the
    # polite shutdown request nbclient otherwise waits on (tenths of a second per kernel)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            allow_errors=allow_errors, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    return nb


def errors(cell):
    return [out for out in cell.get("outputs", []) if out.output_type == "error"]


# Stage 5 first: its demo training run is the longest, so a worker starts it early.
ORDER = [5, 4, 3, 2, 1]


@pytest.mark.parametrize("stage", ORDER)
def test_does_the_solution_notebook_run_top_to_bottom_where_it_lives(stage):
    nb = nbformat.read(solution_path(stage), as_version=4)
    try:
        run(nb, SOLUTIONS)
    except CellExecutionError as err:
        pytest.fail(f"solutions/{STAGES[stage]}.ipynb stops with {err.ename}: {err.evalue}\n{err}")


@pytest.mark.parametrize("stage", ORDER)
def test_does_the_solution_notebook_pass_without_its_demo_cells(stage, tmp_path):
    """The grader skips demo cells: nothing the checks need may live in one."""
    nb = nbformat.read(solution_path(stage), as_version=4)
    nb.cells = [cell for cell in nb.cells if not is_demo(cell)]
    try:
        run(nb, tmp_path)
    except CellExecutionError as err:
        pytest.fail(f"solutions/{STAGES[stage]}.ipynb without its demo cells stops with "
                    f"{err.ename}: {err.evalue}\n{err}")


def assignment(stage):
    """The student's notebook for this stage, as the generator makes it from solutions/."""
    return generate.release_notebook(generate.read_stage(solution_path(stage)))


def stub_cells(nb):
    return [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and 'raise NotImplementedError("Stage' in cell.source]


@pytest.mark.parametrize("stage", ORDER)
def test_does_the_assignment_run_until_its_first_stub_and_stop_there(stage):
    nb = assignment(stage)
    title = nb.metadata.micrograd_course.title
    stubs = stub_cells(nb)
    assert stubs, f"the stage {stage} assignment has no stub"
    with pytest.raises(CellExecutionError) as caught:
        run(nb, ASSIGNMENTS)
    err = caught.value
    assert err.ename == "NotImplementedError", f"stopped with {err.ename}: {err.evalue}"
    assert err.evalue.startswith(f"Stage {stage} ({title}): ")
    assert err.evalue.endswith(", not written yet")
    assert f'raise NotImplementedError("{err.evalue}")' in "\n".join(
        nb.cells[i].source for i in stubs), "the error is not one of this notebook's stubs"

    failed = [i for i, cell in enumerate(nb.cells) if errors(cell)]
    assert len(failed) == 1
    first_use = failed[0]
    # the cells that define the stubs run (defining is not calling); a later cell calls one
    assert first_use > stubs[0] and first_use not in stubs
    # every code cell before it ran, and none of them met a stub and hid it
    for cell in nb.cells[:first_use]:
        if cell.cell_type == "code" and cell.source.strip():
            assert cell.execution_count is not None
            assert "NotImplementedError" not in str(cell.outputs)
    # nothing after it ran
    assert all(cell.get("execution_count") is None for cell in nb.cells[first_use + 1:])


@pytest.mark.parametrize("stage", ORDER)
def test_does_every_check_cell_fail_on_the_unwritten_stubs(stage):
    """No free points: a student who writes nothing fails every graded cell of the stage."""
    nb = run(assignment(stage), ASSIGNMENTS, allow_errors=True)
    passing = [generate.grade_id(cell) for cell in nb.cells
               if cell.metadata.get("nbgrader", {}).get("grade") and not errors(cell)]
    assert passing == [], f"these check cells pass with every stub unwritten: {passing}"
