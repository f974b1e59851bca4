"""One HiGHS model from a row-wise sparse matrix, set up the same way for every solver.

The covering MILP (:mod:`~lifecircle.coverage.placement.milp`), the capacitated covering
(:mod:`~lifecircle.coverage.placement.capacitated`) and the p-median model
(:mod:`~lifecircle.coverage.placement.p_median`) all pass HiGHS a CSR constraint matrix with
bounds on rows and columns, the first columns integer, quiet output, a fixed random seed
(the same answer on every run) and a time limit; this module does that once.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from lifecircle.typing import FloatArray

__all__ = ["RowwiseModel", "highs_model"]


@dataclass(frozen=True)
class RowwiseModel:
    """A linear model ``row_lower <= matrix @ x <= row_upper``, ``col_lower <= x <= col_upper``.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        The constraint matrix, one row per constraint.
    costs : numpy.ndarray
        The objective coefficient of every column.
    col_lower, col_upper, row_lower, row_upper : numpy.ndarray
        The bounds (``-highspy.kHighsInf`` / ``highspy.kHighsInf`` for none).
    n_integer : int
        The first ``n_integer`` columns are integer; the rest continuous.
    sense : highspy.ObjSense
        Maximise (default) or minimise.
    """

    matrix: sparse.csr_array
    costs: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    n_integer: int
    sense: highspy.ObjSense = highspy.ObjSense.kMaximize


def highs_model(
    model: RowwiseModel,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    presolve: bool = True,
    warm_start: FloatArray | None = None,
) -> highspy.Highs:
    """Return a quiet, seeded :class:`highspy.Highs` holding ``model``, ready to ``run()``.

    Parameters
    ----------
    model : RowwiseModel
    time_limit_s : float
        HiGHS' own (wall-clock) limit; at least 0.01 s.
    mip_rel_gap : float
        The relative gap at which HiGHS calls a MILP solved.
    presolve : bool, default True
        Off for models already reduced (HiGHS' presolve then only costs time).
    warm_start : numpy.ndarray, optional
        A feasible solution (one value per column) HiGHS starts from.
    """
    matrix = model.matrix
    n_rows, n_cols = matrix.shape
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    h.setOptionValue("random_seed", 0)
    if not presolve:
        h.setOptionValue("presolve", "off")
    integrality = np.zeros(n_cols, dtype=np.int32)
    integrality[: model.n_integer] = int(highspy.HighsVarType.kInteger.value)
    h.passModel(
        n_cols,
        n_rows,
        matrix.nnz,
        int(highspy.MatrixFormat.kRowwise.value),
        int(model.sense.value),
        0.0,
        np.asarray(model.costs, dtype=float),
        np.asarray(model.col_lower, dtype=float),
        np.asarray(model.col_upper, dtype=float),
        np.asarray(model.row_lower, dtype=float),
        np.asarray(model.row_upper, dtype=float),
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(float),
        integrality,
    )
    if warm_start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(map(float, warm_start))
        solution.value_valid = True
        h.setSolution(solution)
    return h
