"""Deterministic solvers side by side: gradtx.solvers.minimize (L-BFGS), optax.lbfgs in a
jitted while loop, scipy's L-BFGS-B, jaxopt.LBFGS and optimistix.LBFGS (when importable).

Usage (from the repository root):

    python -m benchmarks.solvers            # about 2 minutes on 2 idle CPU cores
    python -m benchmarks.solvers --quick    # Rosenbrock n=2 and the curve fit only
    python -m benchmarks.solvers --no-large # all but Rosenbrock n=10 000

Problems: Rosenbrock (n = 2, 100, 10 000, standard start), Powell's singular function
(standard start), l2-regularised logistic regression on scikit-learn's breast cancer
data, and a least-squares curve fit (``0.5 * ||a exp(-b t) + c - y||^2``, 3 parameters,
200 points). All in float64. ``gradtx minimize`` uses L-BFGS with the zoom line search
(the default); ``gradtx minimize (HZ)`` the same L-BFGS with the Hager-Zhang search.

A second table runs ``gradtx.solvers.least_squares`` (Levenberg-Marquardt, with and
without geodesic acceleration) against ``scipy.optimize.least_squares(method="lm")``
(MINPACK) on the Moré-Garbow-Hillstrom problems Meyer, Box-3D and Powell singular
(residual form), standard starts: iterations, residual and Jacobian evaluations,
final cost ``0.5 * ||r||^2``.

For each solver: time to solution after compile (median of ``--repeats`` runs of the
compiled solve, ending in ``block_until_ready``; scipy: wall time of the call with a
jitted value-and-gradient), compile time (``jax.jit(...).lower(x0).compile()``),
iterations, objective evaluations, final value. Stopping: ``||grad||_2 <= 1e-6`` or
2000 steps for gradtx and the optax loop; scipy's defaults with ``gtol=1e-6``;
jaxopt ``tol=1e-6``; optimistix ``rtol=atol=1e-9`` (its own Cauchy test). The table goes
to ``benchmarks/results/solvers.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import scipy.optimize  # noqa: E402

from gradtx.solvers import minimize  # noqa: E402

TOL, MAX_STEPS = 1e-6, 2000
OUT = Path(__file__).resolve().parent / "results" / "solvers.md"


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logreg():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = (data.data - data.data.mean(0)) / data.data.std(0)
    x = jnp.asarray(np.hstack([x, np.ones((x.shape[0], 1))]))
    y = jnp.asarray(2.0 * data.target - 1.0)
    loss = lambda w: jnp.mean(jnp.logaddexp(0.0, -y * (x @ w))) + 0.5e-2 * jnp.sum(w[:-1] ** 2)
    return loss, jnp.zeros(x.shape[1])


def curve_fit():
    rng = np.random.default_rng(0)
    t = jnp.linspace(0.0, 4.0, 200)
    y = 2.5 * jnp.exp(-1.3 * t) + 0.5 + 0.02 * jnp.asarray(rng.normal(size=200))
    loss = lambda p: 0.5 * jnp.sum((p[0] * jnp.exp(-p[1] * t) + p[2] - y) ** 2)
    return loss, jnp.array([1.0, 1.0, 0.0])


def problems(quick, large=True):
    out = {"rosenbrock n=2": (rosenbrock, jnp.array([-1.2, 1.0]))}
    if not quick:
        out["rosenbrock n=100"] = (rosenbrock, jnp.tile(jnp.array([-1.2, 1.0]), 50))
        if large:
            out["rosenbrock n=10000"] = (rosenbrock, jnp.tile(jnp.array([-1.2, 1.0]), 5000))
        out["logistic regression"] = logreg()
    if not quick:
        out["powell singular"] = (powell_singular, jnp.array([3.0, -1.0, 0.0, 1.0]))
    out["curve fit (exp decay)"] = curve_fit()
    return out


def powell_singular(x):
    return jnp.sum(powell_residuals(x) ** 2)


def powell_residuals(x):
    a, b, c, d = x[0], x[1], x[2], x[3]
    s5, s10 = jnp.sqrt(5.0), jnp.sqrt(10.0)
    return jnp.stack([a + 10 * b, s5 * (c - d), (b - 2 * c) ** 2, s10 * (a - d) ** 2])


_MEYER_Y = jnp.array(
    [34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0,
     6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0]
)  # fmt: skip


def meyer(x):
    t = 45.0 + 5.0 * jnp.arange(1.0, 17.0)
    return x[0] * jnp.exp(x[1] / (t + x[2])) - _MEYER_Y


def box3d(x):
    t = 0.1 * jnp.arange(1.0, 11.0)
    return jnp.exp(-t * x[0]) - jnp.exp(-t * x[1]) - x[2] * (jnp.exp(-t) - jnp.exp(-10.0 * t))


LEAST_SQUARES = {
    "meyer": (meyer, jnp.array([0.02, 4000.0, 250.0])),
    "box3d": (box3d, jnp.array([0.0, 10.0, 20.0])),
    "powell singular": (powell_residuals, jnp.array([3.0, -1.0, 0.0, 1.0])),
}


def least_squares_rows(repeats):
    from gradtx.solvers import least_squares

    rows = []
    for pname, (r, x0) in LEAST_SQUARES.items():
        for sname, geo in (("gradtx LM", False), ("gradtx LM + geodesic", True)):
            jitted = jax.jit(lambda x, r=r, geo=geo: least_squares(r, x, geodesic_acceleration=geo))
            sol = jax.block_until_ready(jitted(x0))
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                jax.block_until_ready(jitted(x0))
                times.append(time.perf_counter() - t)
            rows.append(
                (pname, sname, statistics.median(times), int(sol.num_steps),
                 int(sol.num_fun_evals), int(sol.num_grad_evals), float(sol.value))
            )  # fmt: skip
            print(rows[-1], flush=True)
        res, jac = jax.jit(r), jax.jit(jax.jacfwd(r))
        fr = lambda x, res=res: np.asarray(res(jnp.asarray(x)))
        fj = lambda x, jac=jac: np.asarray(jac(jnp.asarray(x)))
        fr(np.asarray(x0)), fj(np.asarray(x0))  # compile first
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            ref = scipy.optimize.least_squares(fr, np.asarray(x0), jac=fj, method="lm")
            times.append(time.perf_counter() - t)
        # MINPACK's lmder reports no iteration count; its Jacobian count is one per iteration
        rows.append((pname, "scipy lm (MINPACK)", statistics.median(times), int(ref.njev),
                     int(ref.nfev), int(ref.njev), float(ref.cost)))  # fmt: skip
        print(rows[-1], flush=True)
    return rows


# Each JAX solver: make(fun) -> solve(x0) returning (value, iterations, fun_evals).
def gradtx_solver(fun):
    def solve(x0):
        s = minimize(fun, x0, tol=TOL, max_steps=MAX_STEPS, implicit_diff=False)
        return s.value, s.num_steps, s.num_fun_evals

    return solve


def gradtx_hager_zhang(fun):
    from gradtx import lbfgs, scale_by_hager_zhang_linesearch

    opt = lbfgs(linesearch=scale_by_hager_zhang_linesearch())

    def solve(x0):
        s = minimize(fun, x0, opt, tol=TOL, max_steps=MAX_STEPS, implicit_diff=False)
        return s.value, s.num_steps, s.num_fun_evals

    return solve


def optax_loop(fun):
    """The loop of optax's documentation, inside one jitted lax.while_loop."""
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(fun)

    def solve(x0):
        def body(c):
            x, s, k, evals, _ = c
            v, g = value_and_grad(x, state=s)
            u, s = opt.update(g, s, x, value=v, grad=g, value_fn=fun)
            n = optax.tree_utils.tree_get(s, "num_linesearch_steps")
            return optax.apply_updates(x, u), s, k + 1, evals + n, optax.tree.norm(g)

        def cond(c):
            return (c[2] < MAX_STEPS) & (c[4] > TOL)

        c0 = (x0, opt.init(x0), 0, 1, jnp.inf)  # one evaluation at the start
        x, s, k, evals, _ = jax.lax.while_loop(cond, body, c0)
        # the last iteration computed the gradient norm of the point before its step
        return fun(x), k, evals

    return solve


def jaxopt_solver(fun):
    import jaxopt

    solver = jaxopt.LBFGS(fun=fun, maxiter=MAX_STEPS, tol=TOL)

    def solve(x0):
        x, state = solver.run(x0)
        return fun(x), state.iter_num, getattr(state, "num_fun_eval", state.iter_num)

    return solve


def optimistix_solver(fun):
    import optimistix as optx

    solver = optx.LBFGS(rtol=1e-9, atol=1e-9)

    def solve(x0):
        r = optx.minimise(lambda x, _: fun(x), solver, x0, max_steps=MAX_STEPS, throw=False)
        return fun(r.value), r.stats["num_steps"], r.stats["num_steps"]

    return solve


def time_jax(make, fun, x0, repeats):
    jitted = jax.jit(make(fun))
    t = time.perf_counter()
    compiled = jitted.lower(x0).compile()
    compile_s = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = jax.block_until_ready(compiled(x0))
        times.append(time.perf_counter() - t)
    value, iters, evals = (np.asarray(o).item() for o in out)
    return statistics.median(times), compile_s, int(iters), int(evals), value


def time_scipy(fun, x0, repeats):
    vg = jax.jit(jax.value_and_grad(fun))
    jax.block_until_ready(vg(x0))

    def fg(x):
        v, g = vg(jnp.asarray(x))
        return float(v), np.asarray(g)

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = scipy.optimize.minimize(
            fg,
            np.asarray(x0),
            jac=True,
            method="L-BFGS-B",
            options={"gtol": TOL, "maxiter": MAX_STEPS},
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times), None, int(r.nit), int(r.nfev), float(r.fun)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-large", action="store_true", help="skip Rosenbrock n=10000")
    opts = parser.parse_args()
    solvers = {
        "gradtx minimize": gradtx_solver,
        "gradtx minimize (HZ)": gradtx_hager_zhang,
        "optax while loop": optax_loop,
    }
    for name, make, module in [
        ("jaxopt LBFGS", jaxopt_solver, "jaxopt"),
        ("optimistix LBFGS", optimistix_solver, "optimistix"),
    ]:
        try:
            __import__(module)
            solvers[name] = make
        except ImportError:
            print(f"({module} not importable: skipped)")
    rows = []
    for pname, (fun, x0) in problems(opts.quick, not opts.no_large).items():
        for sname, make in solvers.items():
            rows.append((pname, sname, *time_jax(make, fun, x0, opts.repeats)))
            print(rows[-1], flush=True)
        rows.append((pname, "scipy L-BFGS-B", *time_scipy(fun, x0, opts.repeats)))
        print(rows[-1], flush=True)
    lines = [
        "# Solvers: time to solution, compile, iterations, evaluations, final value",
        "",
        f"Generated by `python -m benchmarks.solvers{' --quick' if opts.quick else ''}"
        f"{' --no-large' if opts.no_large else ''}` "
        f"(jax {jax.__version__}, {jax.devices()[0].platform}, float64). Time is the median "
        "of the compiled solve after compile; see the module docstring for stopping rules.",
        "",
        "| problem | solver | time (ms) | compile (s) | iterations | fun evals | final value |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for p, s, t, c, it, ev, v in rows:
        comp = "-" if c is None else f"{c:.2f}"
        lines.append(f"| {p} | {s} | {1e3 * t:.2f} | {comp} | {it} | {ev} | {v:.6e} |")
    if not opts.quick:
        lines += [
            "",
            "## Least squares: Levenberg-Marquardt against MINPACK",
            "",
            "| problem | solver | time (ms) | iterations | residual evals | Jacobian evals "
            "| final cost |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for p, s, t, it, nf, nj, v in least_squares_rows(opts.repeats):
            lines.append(f"| {p} | {s} | {1e3 * t:.2f} | {it} | {nf} | {nj} | {v:.6e} |")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
