"""Stage: :class:`~.results.Sweep` -> a figure of ‖∂s_T/∂s_{T-k}‖₂ against the lag k.

matplotlib is an optional extra (``pip install 'seqcheck[plot]'``) and is imported only
when a figure is drawn; the figure is rendered with the Agg canvas, never through pyplot,
so the caller's backend and global state are left alone. The output is byte-for-byte
reproducible: fixed size and DPI, no software version or date in the metadata, a fixed
SVG hash salt.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import SeqcheckError
from ..paths import output_path
from .results import Sweep

__all__ = ["sweep_figure", "plot_sweep", "check_output", "FORMATS"]

FORMATS = {".png": {"Software": None}, ".svg": {"Creator": None, "Date": None}}
"""The file types written, by extension, with the metadata that keeps them reproducible."""

_SIZE, _DPI = (7.0, 4.4), 100


def load_matplotlib():
    """``(Figure, FigureCanvasAgg, rc_context)``, or an error saying how to install them."""
    try:
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise SeqcheckError("plotting needs matplotlib, an optional extra: "
                            "pip install 'seqcheck[plot]'") from None
    return Figure, FigureCanvasAgg, rc_context


def _limits(sweep: Sweep) -> tuple[float, float]:
    """A y range holding every measured norm with a margin; the bounds may leave it."""
    values = np.concatenate([d.norms for d in sweep.results])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:  # every product reached exactly 0
        return 1e-3, 10.0
    return float(values.min()) / 10, float(values.max()) * 100


def check_output(path: str | Path) -> Path:
    """Fail early, before any measuring: a known extension, an existing directory, and
    matplotlib installed.

    >>> # the extension picks the format, and PDF is not one of them
    >>> try:
    ...     check_output("figure.pdf")
    ... except SeqcheckError as e:
    ...     print(e)
    cannot write a plot to 'figure.pdf': the extension picks the format, one of .png, .svg
    """
    path = output_path(path, FORMATS, "plot", picks="extension")
    load_matplotlib()
    return path


def sweep_figure(sweep: Sweep):
    """Draw ‖∂s_T/∂s_{T-k}‖₂ against the lag k, one line per spectral radius, as a Figure.

    A log y axis, so that exponential vanishing or exploding (seed 002, "Vanishing
    gradients") is a straight line whose slope is the log growth per step. Where the
    bound applies, (|a| + |b|·σ_max·γ)^k (Pascanu et al. 2013; seed 000 eq. 26-28) is
    dashed in the same colour; it is often far above the measured norms and leaves the
    plot at the top.

    Arguments:
        sweep: from :func:`~.measure.sweep`, R radii over T steps.
    Returns:
        A ``matplotlib.figure.Figure`` (7 x 4.4 in, 100 dpi, Agg canvas, not registered
        with pyplot) with one axes: per radius a solid line of ``(T,)`` norms against the
        lags 0..T-1, gid ``"norms:<i>"``, and where a bound exists a dashed line of the
        ``(T,)`` bound, gid ``"bound:<i>"`` (i: the radius's index in ``sweep.radii``).
    Raises:
        SeqcheckError: matplotlib not installed.

    >>> # seed 001's Elman RNN at two radii: two measured lines, two bounds
    >>> from seqcheck.dynamics.measure import sweep
    >>> s = sweep("elman", [0.5, 1.5], steps=8, sizes={"D": 2, "H": 3, "C": 2})
    >>> sorted(line.get_gid() for line in sweep_figure(s).axes[0].lines if line.get_gid())
    ['bound:0', 'bound:1', 'norms:0', 'norms:1']
    """
    Figure, FigureCanvasAgg, _ = load_matplotlib()
    fig = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    formula = None
    for i, (radius, d) in enumerate(zip(sweep.radii, sweep.results)):
        color = f"C{i % 10}"
        ax.plot(d.lags, d.norms, color=color, linewidth=1.8, gid=f"norms:{i}",
                label=rf"$\rho$ = {radius:g}, $\sigma_{{\max}}$ = {d.sigma_max:.2f}: "
                      f"{d.verdict}")
        if d.bound is not None:
            formula = d.recurrence.bound_formula
            ax.plot(d.lags, d.bound, color=color, linewidth=1.0, linestyle="--",
                    gid=f"bound:{i}")
    if formula is not None:
        ax.plot([], [], color="0.4", linewidth=1.0, linestyle="--",
                label=f"bound {formula} (Pascanu et al. 2013)")
    ax.set_yscale("log", nonpositive="mask")
    ax.set_ylim(*_limits(sweep))
    ax.set_xlim(0, sweep.steps - 1)
    ax.set_xlabel("lag $k$ (steps back from $T$)")
    ax.set_ylabel(r"$\|\partial s_T / \partial s_{T-k}\|_2$")
    states = "; ".join(sweep.results[0].states)
    ax.set_title(f"{sweep.spec}: gradient norm against lag, s = [{states}], "
                 f"T = {sweep.steps}, seed {sweep.seed}", fontsize=10)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_sweep(sweep: Sweep, path: str | Path) -> Path:
    """Draw ‖∂s_T/∂s_{T-k}‖₂ against the lag k (:func:`sweep_figure`) and write it to a file.

    Arguments:
        sweep: from :func:`~.measure.sweep`.
        path: ``*.png`` or ``*.svg``; the extension picks the format.
    Returns:
        The path written.
    Raises:
        SeqcheckError: another extension, a path that cannot be written, or matplotlib
            not installed.

    >>> # seed 001's Elman RNN at two radii, as a PNG
    >>> import tempfile
    >>> from seqcheck.dynamics.measure import sweep
    >>> s = sweep("elman", [0.5, 1.5], steps=8, sizes={"D": 2, "H": 3, "C": 2})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = plot_sweep(s, Path(tmp) / "dynamics.png")
    ...     out.read_bytes()[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    path = check_output(path)
    suffix = path.suffix.lower()
    _, _, rc_context = load_matplotlib()
    with rc_context({"svg.hashsalt": "seqcheck", "svg.fonttype": "path"}):
        fig = sweep_figure(sweep)
        try:
            fig.savefig(path, format=suffix[1:], dpi=_DPI, metadata=FORMATS[suffix])
        except OSError as e:
            raise SeqcheckError(f"cannot write the plot to {str(path)!r}: "
                                f"{e.strerror or e}") from None
    return path
