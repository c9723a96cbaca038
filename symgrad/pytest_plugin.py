"""symgrad's pytest plugin: the oracle as a fixture, for someone else's test suite.

With symgrad installed (entry point ``pytest11``), a test reads::

    def test_my_backprop(symgrad_oracle):
        symgrad_oracle.check(my_backprop, network="784,30,10", activation="sigmoid",
                             dtype="float32")

or puts the network on a marker, ``@pytest.mark.symgrad(network="784,30,10",
activation="sigmoid", dtype="float32")``, and calls ``symgrad_oracle.check(my_backprop)``.

``my_backprop(params, x, y)`` gets the parameters of z_l = W_l a_{l-1} + b_l as NumPy
arrays of ``dtype`` by name (``W_l`` of shape n_l × n_{l-1}, ``b_l`` of n_l, ``alpha_l``
for PReLU; a chain's too), the inputs ``x`` (N × n_0) and the targets ``y`` (N × n_L),
and returns the gradients of the declared loss (``cost``, default the quadratic
½ Σ (a − y)²) by name or in layer order, as arrays, tensors or lists.  The check draws
one point of every regime of the oracle's vectors (ordinary, saturated, kink where the
network has one, vanishing, exploding), rounds it to ``dtype`` (the reference is computed
for exactly those numbers) and judges every gradient at ``dtype``'s tolerance.  A failure
names the regimes that fail and shows each one's summary per layer first.

Loading the plugin imports only pytest and :mod:`symgrad.errors`: NumPy and the rest of
symgrad load when a test first uses the fixture.
"""
from __future__ import annotations

import pytest

from symgrad.errors import UsageError

__all__ = ["Oracle", "symgrad_oracle", "pytest_configure", "OPTIONS", "REGIME_ORDER"]

#: the options of ``check`` and the marker, with their defaults
OPTIONS = {"network": None, "activation": "sigmoid", "cost": "quadratic", "reduction": None,
           "samples": 1, "dtype": "float64", "regimes": None, "seed": 0, "rtol": None}
#: the regimes a check draws, in this order (``kink`` only where the network has one)
REGIME_ORDER = ("ordinary", "saturated", "kink", "vanishing", "exploding")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "symgrad(network, activation, cost, samples, dtype, regimes, seed, rtol): "
                   "defaults of symgrad_oracle.check for this test")


def _numpy_dtype(name: str):
    import numpy as np
    if name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise UsageError("dtype='bfloat16': NumPy needs the ml_dtypes package for "
                             "bfloat16 (pip install ml_dtypes)") from None
        return ml_dtypes.bfloat16
    return np.dtype(name).type


class Oracle:
    """The ``symgrad_oracle`` fixture: :meth:`check` a backprop function against symgrad's
    certified reference; defaults come from a ``@pytest.mark.symgrad(...)`` marker."""

    def __init__(self, defaults=None):
        unknown = set(defaults or {}) - set(OPTIONS)
        if unknown:
            raise UsageError(f"symgrad marker: unknown option {sorted(unknown)[0]!r}; allowed: "
                             f"{', '.join(OPTIONS)}")
        self.defaults = {**OPTIONS, **(defaults or {})}

    def network(self, **options):
        """The network (and declared loss) the options describe."""
        from symgrad.arraycheck import declared_loss, network_for
        o = {**self.defaults, **options}
        if o["network"] is None:
            raise UsageError("network=None: give the widths, such as network='784,30,10' "
                             "(on check() or on @pytest.mark.symgrad)")
        from symgrad.model.sizes import check_widths
        widths = check_widths(o["network"], "network")
        loss = declared_loss(o["cost"], o["reduction"], "cost")
        return network_for(widths, o["activation"], loss, o["samples"], "activation"), loss

    def points(self, net, dtype: str, regimes, seed: int):
        """(regime, params by name, x, y) in ``dtype``, one per regime."""
        import numpy as np
        from symgrad.oracle.regimes import check_regime, draw
        kinked = any(getattr(a, "kink", None) for a in net.activations)
        wanted = regimes or [r for r in REGIME_ORDER if r != "kink" or kinked]
        t = _numpy_dtype(dtype)
        rng = np.random.default_rng(seed)
        for regime in wanted:
            params, inputs = draw(net, check_regime(regime), rng, 17)
            P = {}
            for name in net.parameter_names():
                kind, l = net.parameter(name)
                arr = np.array(params[name], dtype=float).reshape(net.parameter_shape(name))
                P[f"{kind}_{l}"] = arr.astype(t)
            x = np.array(inputs.get("x", inputs.get("a_0")), dtype=float)
            y = np.array(inputs["y"], dtype=float)
            N, n0, nL = net.samples, net.n(0), net.n(net.L)
            yield regime, P, x.reshape(N, n0).astype(t), y.reshape(N, nL).astype(t)

    def check(self, fn, **options):
        """Run ``fn(params, x, y)`` at one point of every regime and judge its gradients;
        fails the test (the summary per layer first) unless every one agrees.  Returns the
        reports by regime."""
        import numpy as np
        from symgrad.arraycheck import judge
        from symgrad.arrays import check_dtype, named_arrays
        o = {**self.defaults, **options}
        unknown = set(options) - set(OPTIONS)
        if unknown:
            raise UsageError(f"check: unknown option {sorted(unknown)[0]!r}; allowed: "
                             f"{', '.join(OPTIONS)}")
        net, loss = self.network(**options)
        dtype = check_dtype(o["dtype"])
        reports = {}
        for regime, P, x, y in self.points(net, dtype, o["regimes"], o["seed"]):
            exact = {k: v.astype(np.float64) for k, v in P.items()}
            got = named_arrays(net, fn(P, x, y), "grads")
            reports[regime] = judge(net, loss, named_arrays(net, exact, "params"),
                                    x.astype(np.float64), y.astype(np.float64), got,
                                    dtype=dtype, rtol=o["rtol"])
        failed = [r for r, rep in reports.items() if not rep.passed]
        if failed:
            name = getattr(fn, "__name__", "the implementation")
            head = (f"symgrad oracle: {name} disagrees with the reference in {len(failed)} of "
                    f"{len(reports)} regimes ({', '.join(failed)}) of {net!r} in {dtype}")
            parts = [head] + [f"\n[{r}] " + reports[r].message(limit=5) for r in failed]
            pytest.fail("\n".join(parts), pytrace=False)
        return reports


@pytest.fixture
def symgrad_oracle(request):
    """symgrad's oracle: ``symgrad_oracle.check(my_backprop, network="784,30,10",
    activation="sigmoid", dtype="float32")``; a ``@pytest.mark.symgrad(...)`` marker sets
    the defaults."""
    marker = request.node.get_closest_marker("symgrad")
    if marker is not None and marker.args:
        raise UsageError("symgrad marker: give its options by name, such as "
                         "@pytest.mark.symgrad(network='784,30,10')")
    return Oracle(marker.kwargs if marker is not None else None)
