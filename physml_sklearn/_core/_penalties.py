"""Decorrelation penalties: DisCo and MoDe as batch terms of the loss.

The core adds ``strength * penalty(score, variable, weight)`` to the
classification loss of every batch (see ``PhysNet.get_loss``), computed on
the background rows of the batch only (encoded label 0, ``classes_[0]``):
the aim is a background selection efficiency that does not depend on the
variable (typically the jet mass), whatever the signal does.

* :func:`distance_correlation` is the weighted squared distance correlation
  dCorr² of Kasieczka & Shih, "Robust jet classifiers through distance
  correlation", arXiv:2001.05310 (eqs. 2.1-2.3 with event weights, as in
  their reference code ``distance_corr``).
* :class:`MoDePenalty` is moment decorrelation MoDe[n] of Kitouni, Nachman,
  Weisser & Williams, "Enhancing searches for resonances with machine
  learning and moment decorrelation", arXiv:2010.09745 (eqs. 3-6).

No estimator knows their maths: an estimator names the penalty through its
``decorrelation*`` parameters and :func:`make_penalty` builds it.
"""

import numpy as np
import torch

#: mass bins of MoDe per batch (the reference code's default ``bins=32``)
MODE_BINS = 32
#: fewest background events per MoDe mass bin
MODE_MIN_PER_BIN = 2


def _safe_ratio(num, den):
    """``num / den`` where ``den > 0``, else 0, with finite gradients."""
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, torch.ones_like(den)),
                       torch.zeros_like(num))


def distance_correlation(x, y, weight=None):
    """Weighted squared distance correlation dCorr²(x, y) of two 1-D tensors.

    With ``a_ij = |x_i - x_j|``, ``b_ij = |y_i - y_j|`` and the weights
    normalised to mean 1 (``w_i -> n w_i / sum(w)``), the doubly centred
    distance matrices are (arXiv:2001.05310, eq. 2.2)::

        A_ij = a_ij - <a_i.> - <a_.j> + <a_..>,  <a_i.> = mean_j w_j a_ij

    and dCov²(x, y) = mean_ij w_i w_j A_ij B_ij; the penalty is
    dCorr²(x, y) = dCov²(x, y) / sqrt(dCov²(x, x) dCov²(y, y)) (eq. 2.3),
    which is 0 if and only if x and y are independent (in the limit of many
    events). When either variable is constant the result is 0.

    Parameters
    ----------
    x, y : torch.Tensor of shape (n,)
        The two variables (e.g. the mass and the classifier output).
    weight : torch.Tensor of shape (n,) or None
        Event weights.

    Returns
    -------
    dcorr2 : torch.Tensor
        A scalar in [0, 1] (up to rounding), differentiable in ``x`` and ``y``.
    """
    n = x.shape[0]
    if weight is None:
        weight = torch.ones_like(x)
    weight = _safe_ratio(weight * n, weight.sum())
    wn = weight / n
    total = wn.sum()

    def row_means(v):
        # <d_i.> = sum_j wn_j |v_i - v_j| for every i from sorted cumulative
        # sums: O(n log n), no n x n matrix
        order = v.argsort()
        vs, ws = v[order], wn[order]
        cum_w, cum_wv = ws.cumsum(0), (ws * vs).cumsum(0)
        sorted_rows = (vs * (cum_w - ws) - (cum_wv - ws * vs)
                       + (cum_wv[-1] - cum_wv) - vs * (total - cum_w))
        return torch.zeros_like(sorted_rows).scatter(0, order, sorted_rows)

    def dcov2_self(v, row):
        # mean_ij w_i w_j D_ij d_ij with d_ij = |v_i - v_j|: the sum of
        # w_i w_j d_ij² is that of (v_i - v_j)², which needs no matrix either
        mean_v = (wn * v).sum()
        squares = 2 * total * (wn * v * v).sum() - 2 * mean_v**2
        return squares - 2 * (wn * row**2).sum() + (wn * row).sum() ** 2

    # mean_ij w_i w_j A_ij B_ij of the doubly centred matrices expands into
    # sum_ij w_i w_j a_ij b_ij and the row means: only that sum needs the
    # n x n distances
    a_row, b_row = row_means(x), row_means(y)
    weighted_a = (x[:, None] - x[None, :]).abs() * (wn[:, None] * wn[None, :])
    cross = (weighted_a * (y[:, None] - y[None, :]).abs()).sum()
    dcov2_xy = cross - 2 * (wn * a_row * b_row).sum() + (wn * a_row).sum() * (wn * b_row).sum()
    product = dcov2_self(x, a_row) * dcov2_self(y, b_row)
    positive = product > 0  # both variables vary
    root = torch.sqrt(torch.where(positive, product, torch.ones_like(product)))
    return torch.where(positive, dcov2_xy / root, torch.zeros_like(dcov2_xy))


def _legendre(m, order):
    """Legendre polynomials P_0 ... P_order at ``m`` (columns)."""
    columns = [torch.ones_like(m)]
    if order >= 1:
        columns.append(m)
    if order >= 2:
        columns.append(0.5 * (3 * m**2 - 1))
    return torch.stack(columns, dim=1)


class _MoDeIntegral(torch.autograd.Function):
    """The MoDe integral, with the exact gradient of the step-function CDFs.

    ``score`` and ``weight`` have shape (n_bins, per_bin), one row per mass
    bin; ``weight`` is normalised to sum 1 in each row; ``residual`` is the
    (n_bins, n_bins) matrix ``I - P`` of the Legendre fit. The CDFs of all
    bins at every score come from one sort and a cumulative sum: O(n log n
    + n_bins n), no n x n comparison.
    """

    @staticmethod
    def _cumulative(score, weight):
        n_bins, per_bin = score.shape
        flat = score.reshape(-1)
        order = flat.argsort()
        bins = torch.arange(n_bins, device=score.device).repeat_interleave(per_bin)[order]
        steps = torch.zeros((n_bins, flat.shape[0]), dtype=score.dtype, device=score.device)
        steps[bins, torch.arange(flat.shape[0], device=score.device)] = weight.reshape(-1)[order]
        # cdf[:, j]: F_m(s) just above the j-th smallest score
        return flat[order], order, bins, steps, steps.cumsum(dim=1)

    @staticmethod
    def forward(ctx, score, weight, residual):
        ordered, _, _, _, cdf = _MoDeIntegral._cumulative(score, weight)
        width = ordered[1:] - ordered[:-1]
        # F_m(s) is constant between two scores: the integral over s is exact
        r = residual @ cdf[:, :-1]
        value = (width * (r**2).mean(dim=0)).sum()
        ctx.save_for_backward(score, weight, residual)
        return value

    @staticmethod
    def backward(ctx, grad_output):
        score, weight, residual = ctx.saved_tensors
        n_bins = score.shape[0]
        _, order, bins, steps, cdf = _MoDeIntegral._cumulative(score, weight)
        # F_m(s_i) at every score, the event's own step counted half
        at_scores = cdf - 0.5 * steps
        g = residual.T @ (residual @ at_scores)  # d loss / d F_m(s_i), sorted order
        own = g[bins, torch.arange(g.shape[1], device=g.device)]
        sorted_grad = -2.0 / n_bins * steps[bins, torch.arange(g.shape[1], device=g.device)] * own
        grad = torch.zeros_like(sorted_grad).scatter(0, order, sorted_grad)
        return grad_output * grad.reshape(score.shape), None, None


class MoDePenalty:
    """Moment decorrelation MoDe[order] of a score from a variable.

    The background events of a batch are sorted by the variable ``m`` and
    split into up to :data:`MODE_BINS` (32) bins of equal occupancy, and
    ``m`` is mapped linearly onto [-1, 1] (arXiv:2010.09745, sec. 3). With
    F_m(s) the (weighted) cumulative distribution of the score in mass bin
    m, MoDe fits F_m(s) at every s with Legendre polynomials in m up to
    ``order`` (eq. 4: order 0 a constant, 1 a line, 2 a parabola) and the
    penalty is the squared distance to that fit (eqs. 5-6)::

        L_MoDe = integral_0^1 ds  mean_m ( F_m(s) - sum_{k<=order} a_k(s) P_k(m) )²

    Order 0 thus asks the selection efficiency of every cut on the score
    to be the same in every mass bin; orders 1 and 2 allow it a linear or
    quadratic dependence on the mass. As in the authors' code, the
    gradient is the exact one of the step-function CDFs (the derivative of
    F_m(s) in an event's score is a delta function), so no smoothing is
    needed. Two choices differ from the reference code, where it
    approximates: the integral over s is computed exactly rather than on
    32 score bins, and the Legendre coefficients are the least-squares fit
    weighted by the bin widths (which tile [-1, 1]), so that the fit is an
    exact projection on the bins of a batch.

    Parameters
    ----------
    order : {0, 1, 2}
        Highest order of the Legendre polynomials allowed.
    """

    def __init__(self, order=0):
        self.order = order

    def __call__(self, score, variable, weight=None):
        n = score.shape[0]
        n_bins = min(MODE_BINS, n // MODE_MIN_PER_BIN)
        if n_bins <= self.order + 1:
            return score.sum() * 0.0
        per_bin = n // n_bins
        keep = n_bins * per_bin  # the rows are shuffled: drop the last ones
        score, variable = score[:keep], variable[:keep].detach()
        weight = torch.ones_like(score) if weight is None else weight[:keep].detach()
        low, high = variable.min(), variable.max()
        if not bool(high > low):
            return score.sum() * 0.0
        order = variable.argsort()
        m = (2 * (variable[order] - low) / (high - low) - 1).reshape(n_bins, per_bin)
        score = score[order].reshape(n_bins, per_bin)
        weight = weight[order].reshape(n_bins, per_bin)
        totals = weight.sum(dim=1, keepdim=True)
        uniform = torch.full_like(weight, 1.0 / per_bin)
        weight = torch.where(totals > 0, weight / torch.where(totals > 0, totals, 1.0), uniform)
        residual = self._residual_matrix(m)
        return _MoDeIntegral.apply(score, weight.to(score.dtype), residual.to(score.dtype))

    def _residual_matrix(self, m):
        """``I - P``: P fits a function of the mass bins with Legendre polynomials."""
        m = m.double()
        centres = m.mean(dim=1)
        inner = 0.5 * (m[1:, 0] + m[:-1, -1])
        edges = torch.cat([m.new_tensor([-1.0]), inner, m.new_tensor([1.0])])
        widths = edges[1:] - edges[:-1]
        V = _legendre(centres, self.order)
        VtD = V.T * widths
        P = V @ torch.linalg.lstsq(VtD @ V, VtD).solution
        return torch.eye(len(centres), dtype=P.dtype, device=P.device) - P


class DiscoPenalty:
    """The DisCo penalty: dCorr² between the score and the variable.

    See :func:`distance_correlation` (arXiv:2001.05310, eq. 2.3).
    """

    def __call__(self, score, variable, weight=None):
        if score.shape[0] < 2:
            return score.sum() * 0.0
        with torch.no_grad():
            variable = variable.detach()
            weight = None if weight is None else weight.detach()
        return distance_correlation(variable, score, weight)


class DecorrelationTerm:
    """``strength * penalty`` on the background rows of a batch.

    Called by the net with the network output (logits), the encoded target
    (0 for ``classes_[0]``, the background), the event weights (or None) and
    the variable to decorrelate from; the penalty acts on the sigmoid of the
    output, the classifier's probability of the signal.
    """

    def __init__(self, penalty, strength):
        self.penalty = penalty
        self.strength = strength

    def __call__(self, y_pred, target, weight, variable):
        background = target.reshape(-1) == 0
        score = torch.sigmoid(y_pred.reshape(-1)[background])
        w = None if weight is None else weight.reshape(-1)[background]
        return self.strength * self.penalty(score, variable.reshape(-1)[background], w)


def make_penalty(decorrelation, strength, order):
    """The :class:`DecorrelationTerm` of the ``decorrelation*`` parameters, or None."""
    if decorrelation is None:
        return None
    if decorrelation == "disco":
        if order != 0:
            raise ValueError(
                f"decorrelation_order={order!r} applies to decorrelation='mode' only; "
                "DisCo has no order. Leave decorrelation_order=0 with 'disco'."
            )
        return DecorrelationTerm(DiscoPenalty(), strength)
    return DecorrelationTerm(MoDePenalty(order), strength)


def check_decorrelate(decorrelate, decorrelation, n_samples):
    """Validate the ``decorrelate`` array of ``fit``; return it as float32 or None."""
    if decorrelation is None and decorrelate is None:
        return None
    if decorrelation is None:
        raise ValueError(
            "decorrelate was passed to fit but decorrelation=None: set "
            "decorrelation='disco' or 'mode' to use it, or do not pass decorrelate."
        )
    if decorrelate is None:
        raise ValueError(
            f"decorrelation={decorrelation!r} needs the variable to decorrelate from: "
            "pass fit(X, y, decorrelate=mass), a 1-D array with one value per row "
            "(inside a Pipeline, call set_fit_request(decorrelate=True) on the "
            "classifier with metadata routing enabled)."
        )
    values = np.asarray(decorrelate)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"decorrelate must be a 1-D array (one value per row); got an array of "
            f"shape {values.shape}."
        )
    if values.shape[0] != n_samples:
        raise ValueError(
            f"decorrelate has {values.shape[0]} values but X has {n_samples} rows; "
            "pass one value per row."
        )
    try:
        values = values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"decorrelate must hold numbers; got dtype {values.dtype}.") from exc
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"decorrelate holds {int(np.sum(~np.isfinite(values)))} non-finite values "
            "(NaN or inf); remove those rows or fill them."
        )
    return values.astype(np.float32)
