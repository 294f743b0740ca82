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

import math

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


class _Workspace:
    """A reusable n x n buffer for :func:`distance_correlation`."""

    def __init__(self):
        self.buffer = None

    def matrix(self, n, dtype, device):
        """An (n, n) view of the buffer, grown when too small."""
        buffer = self.buffer
        if (buffer is None or buffer.numel() < n * n or buffer.dtype != dtype
                or buffer.device != device):
            buffer = self.buffer = torch.empty(n * n, dtype=dtype, device=device)
        return buffer[: n * n].view(n, n)


def _signed_sums(u, total):
    """``(S u)_i = sum_{j<i} u_j - sum_{j>i} u_j`` (``total = sum(u)``), in O(n)."""
    return 2 * u.cumsum(0) - u - total


class _DistanceCorrelation(torch.autograd.Function):
    """dCorr²(x, y) and its gradient in ``y``, for ``y`` sorted ascending.

    ``wn`` are the weights normalised to sum 1 (or all 0), ``c`` their
    signed sums ``c_i = sum_j w_j sign(i - j)``, ``a_row`` and ``h`` the
    x-side row sums ``sum_j w_j a_ij`` and ``sum_j w_j a_ij sign(i - j)``,
    ``x_sums`` the floats ``(sum_i w_i, sum_i w_i a_i., dCov²(x, x))``. All
    the y side is O(n): the row means of the y distances are
    ``b_i = c_i y_i - (S w y)_i``, and the gradient of every term comes out
    in closed form (no autograd graph). The scalars are Python floats
    (double precision), the vectors stay in the dtype of ``y``.
    """

    @staticmethod
    def forward(ctx, y, wn, c, a_row, h, x_sums):
        total, sum_a, dcov2_xx = x_sums
        y = y - y.mean()  # distances are shift-invariant; less cancellation
        wy = wn * y
        sum_wy = float(wy.sum())
        b_row = c * y - _signed_sums(wy, sum_wy)
        # the weighted sums of the value, in one matrix-vector product
        sums = wn @ torch.stack([y * h, b_row, a_row * b_row, y * y, b_row * b_row], dim=1)
        cross, sum_b, sum_ab, sum_yy, sum_bb = sums.tolist()
        cross *= 2  # sum_ij w_i w_j a_ij b_ij
        dcov2_xy = cross - 2 * sum_ab + sum_a * sum_b
        squares = 2 * total * sum_yy - 2 * sum_wy**2  # sum_ij w_i w_j (y_i - y_j)²
        dcov2_yy = squares - 2 * sum_bb + sum_b**2
        product = dcov2_xx * dcov2_yy
        if not product > 0:  # a constant variable: 0, with a zero gradient
            ctx.save_for_backward(torch.zeros_like(y))
            return y.new_zeros(())
        root = math.sqrt(product)
        value = dcov2_xy / root
        # d value = d dcov2_xy / root - value / (2 dcov2_yy) d dcov2_yy; the
        # row-mean terms sum_i u_i b_i have the gradient u c + w (S u)
        alpha, beta = 1 / root, value / (2 * dcov2_yy)
        u = wn * torch.add(a_row * (-2 * alpha), b_row, alpha=4 * beta).add_(
            alpha * sum_a - 2 * beta * sum_b)
        inner = torch.add(h * (2 * alpha), y, alpha=-4 * beta * total).add_(4 * beta * sum_wy)
        grad = (inner + _signed_sums(u, float(u.sum()))).mul_(wn).add_(u * c)
        ctx.save_for_backward(grad)
        return y.new_tensor(value)

    @staticmethod
    def backward(ctx, grad_output):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None, None, None, None, None


def distance_correlation(x, y, weight=None, *, workspace=None):
    """Weighted squared distance correlation dCorr²(x, y) of two 1-D tensors.

    With ``a_ij = |x_i - x_j|``, ``b_ij = |y_i - y_j|`` and the weights
    normalised to mean 1 (``w_i -> n w_i / sum(w)``), the doubly centred
    distance matrices are (arXiv:2001.05310, eq. 2.2)::

        A_ij = a_ij - <a_i.> - <a_.j> + <a_..>,  <a_i.> = mean_j w_j a_ij

    and dCov²(x, y) = mean_ij w_i w_j A_ij B_ij; the penalty is
    dCorr²(x, y) = dCov²(x, y) / sqrt(dCov²(x, x) dCov²(y, y)) (eq. 2.3),
    which is 0 if and only if x and y are independent (in the limit of many
    events). When either variable is constant the result is 0.

    The value is that of the definition, computed without the n x n
    centred matrices: dCov²(x, y) expands into the row means and the one
    sum that needs all pairs, ``T = sum_ij w_i w_j a_ij b_ij``. Ordered by
    ``y``, ``b_ij = sign(i - j) (y_i - y_j)``, so
    ``T = 2 sum_i w_i y_i h_i`` with ``h_i = sum_j w_j a_ij sign(i - j)``:
    one n x n buffer of x distances, its lower triangle and two
    matrix-vector products. The rest is O(n), and so is the gradient in
    ``y`` (``dT / dy_i = 2 w_i h_i``), computed in closed form.

    Parameters
    ----------
    x, y : torch.Tensor of shape (n,)
        The two variables (the mass and the classifier output). The result
        is differentiable in ``y``; ``x`` is taken as a constant.
    weight : torch.Tensor of shape (n,) or None
        Event weights (taken as constants).
    workspace : _Workspace or None
        Memory for the n x n distances, kept from one call to the next (a
        fresh megabyte-sized tensor per batch costs more in page faults
        than the arithmetic on it); None allocates it.

    Returns
    -------
    dcorr2 : torch.Tensor
        A scalar in [0, 1] (up to rounding).
    """
    dtype = torch.promote_types(x.dtype, y.dtype)
    y = y.to(dtype)
    n = y.shape[0]
    with torch.no_grad():
        x = x.detach().to(dtype)
        if weight is None:
            wn = torch.full_like(y, 1.0 / n)
        else:
            weight = weight.detach().to(dtype)
            wn = _safe_ratio(weight, weight.sum())  # sums to 1 (or all 0)
        order = y.detach().argsort()
        xs, ws = x[order] - x.mean(), wn[order]
        # one n x n buffer, transformed in place: |x_i - x_j|, then its lower
        # triangle (j < i)
        out = None if workspace is None else workspace.matrix(n, dtype, xs.device)
        a = torch.sub(xs[:, None], xs[None, :], out=out).abs_()
        a_row = a @ ws
        h = 2 * (a.tril_(-1) @ ws) - a_row
        del a
        sums = ws @ torch.stack([torch.ones_like(xs), xs, xs * xs, a_row, a_row * a_row], dim=1)
        total, sum_x, sum_xx, sum_a, sum_aa = sums.tolist()
        squares = 2 * total * sum_xx - 2 * sum_x**2
        dcov2_xx = squares - 2 * sum_aa + sum_a**2
        c = _signed_sums(ws, total)
    return _DistanceCorrelation.apply(y[order], ws, c, a_row, h, (total, sum_a, dcov2_xx))


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

    ``score``, ``weight`` and ``bins`` have shape (n,): the events' scores,
    their weights (normalised to sum 1 in each mass bin) and their mass
    bins; ``residual`` is the (n_bins, n_bins) matrix ``I - P`` of the
    Legendre fit. The CDFs of all bins at every score come from one sort
    and one cumulative sum of an (n, n_bins) matrix: O(n log n + n n_bins),
    no n x n comparison. The forward pass keeps them for the backward one.
    """

    @staticmethod
    def forward(ctx, score, weight, bins, residual):
        n, n_bins = score.shape[0], residual.shape[0]
        order = score.argsort()
        ordered = score[order]
        bins, weight = bins[order], weight[order]
        steps = score.new_zeros((n, n_bins))
        steps[torch.arange(n, device=score.device), bins] = weight
        # cdf[j]: F_m(s) of every bin just above the j-th smallest score
        cdf = steps.cumsum(dim=0)
        # F_m(s) is constant between two scores: the integral over s is exact
        r = cdf[:-1] @ residual.T
        value = (r * r).sum(dim=1) @ (ordered[1:] - ordered[:-1]) / n_bins
        ctx.save_for_backward(order, bins, weight, steps, cdf, residual)
        return value

    @staticmethod
    def backward(ctx, grad_output):
        order, bins, weight, steps, cdf, residual = ctx.saved_tensors
        n_bins = residual.shape[0]
        # F_m(s_i) at every score, the event's own step counted half; the
        # derivative of the integral in F_m(s_i) is 2 / n_bins (R^T R F)_m
        at_scores = cdf - 0.5 * steps
        g = at_scores @ (residual.T @ residual)  # symmetric
        own = g.gather(1, bins[:, None])[:, 0]
        sorted_grad = (-2.0 / n_bins) * weight * own
        grad = torch.empty_like(sorted_grad)
        grad[order] = sorted_grad
        return grad_output * grad, None, None, None


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
        score = score[:keep]
        with torch.no_grad():
            # the mass side: bins of equal occupancy, their Legendre fit
            variable = variable[:keep].detach()
            low, high = torch.aminmax(variable)
            if not bool(high > low):
                return score.sum() * 0.0
            order = variable.argsort()
            m = (2 * (variable[order] - low) / (high - low) - 1).reshape(n_bins, per_bin)
            bins = torch.empty_like(order)
            bins[order] = torch.arange(keep, device=order.device) // per_bin
            if weight is None:
                weight = torch.full_like(score, 1.0 / per_bin)
            else:
                weight = weight[:keep].detach().to(score.dtype)
                totals = torch.zeros(n_bins, dtype=score.dtype, device=score.device)
                totals = totals.index_add_(0, bins, weight)[bins]
                weight = torch.where(totals > 0, weight / torch.where(totals > 0, totals, 1.0),
                                     1.0 / per_bin)
            residual = self._residual_matrix(m).to(score.dtype)
        return _MoDeIntegral.apply(score, weight, bins, residual)

    def _residual_matrix(self, m):
        """``I - P``: P fits a function of the mass bins with Legendre polynomials."""
        m = m.double()
        n_bins = m.shape[0]
        inner = 0.5 * (m[1:, 0] + m[:-1, -1])
        widths = torch.diff(inner, prepend=m.new_tensor([-1.0]), append=m.new_tensor([1.0]))
        eye = torch.eye(n_bins, dtype=m.dtype, device=m.device)
        if self.order == 0:  # the weighted mean: P_ij = widths_j / 2
            return eye - widths[None, :] / widths.sum()
        V = _legendre(m.mean(dim=1), self.order)
        VtD = V.T * widths
        return eye - V @ torch.linalg.solve(VtD @ V, VtD)


class DiscoPenalty:
    """The DisCo penalty: dCorr² between the score and the variable.

    See :func:`distance_correlation` (arXiv:2001.05310, eq. 2.3).
    """

    def __init__(self):
        self.workspace = _Workspace()

    def __call__(self, score, variable, weight=None):
        if score.shape[0] < 2:
            return score.sum() * 0.0
        with torch.no_grad():
            variable = variable.detach()
            weight = None if weight is None else weight.detach()
        return distance_correlation(variable, score, weight, workspace=self.workspace)


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
        rows = (target.reshape(-1) == 0).nonzero()[:, 0]  # the background, found once
        score = torch.sigmoid(y_pred.reshape(-1).index_select(0, rows))
        w = None if weight is None else weight.reshape(-1).index_select(0, rows)
        return self.strength * self.penalty(score, variable.reshape(-1).index_select(0, rows), w)


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
