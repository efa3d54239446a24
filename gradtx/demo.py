"""Train a small MLP on two interleaved spirals with four optimizers, and compare.

Run with ``python -m gradtx.demo`` (``--steps``, ``--out`` and ``--seed`` are
optional). The data is generated here, so nothing is downloaded. Prints a table of
final loss and accuracy per optimizer and writes a PNG of the loss curves,
smoothed with a debiased exponential moving average.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import gradtx

OPTIMIZERS = {
    "sgd": lambda: gradtx.sgd(0.1),
    "sgd+momentum": lambda: gradtx.sgd(0.05, momentum=0.9),
    "rmsprop": lambda: gradtx.rmsprop(3e-3),
    "adam": lambda: gradtx.adam(1e-2),
}


def make_spirals(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in the plane, with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1.0, n_per_class)) * 3 * np.pi
    arms = []
    for sign in (1.0, -1.0):
        xy = sign * np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
        arms.append(xy + rng.normal(scale=0.03, size=xy.shape))
    x = np.concatenate(arms).astype(np.float32)
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)]).astype(np.int32)
    return x, y


def init_mlp(key: jax.Array, sizes: tuple[int, ...]) -> list[dict[str, jax.Array]]:
    params = []
    for k, (m, n) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        params.append({"w": jax.random.normal(k, (m, n)) * np.sqrt(2.0 / m), "b": jnp.zeros(n)})
    return params


def mlp(params, x):
    for layer in params[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"][None, :])
    return x @ params[-1]["w"] + params[-1]["b"][None, :]


def loss_and_accuracy(params, x, y):
    logits = mlp(params, x)
    logp = jax.nn.log_softmax(logits)
    loss = -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
    return loss, jnp.mean(jnp.argmax(logits, axis=1) == y)


def debiased_ema(values: np.ndarray, decay: float = 0.95) -> np.ndarray:
    """Exponential moving average divided by (1 - decay^t), so early points are unbiased."""
    out, m = np.empty(len(values)), 0.0
    for t, v in enumerate(values, start=1):
        m = decay * m + (1 - decay) * v
        out[t - 1] = m / (1 - decay**t)
    return out


def train(name, opt, params, x, y, steps, batch_size, seed, progress):
    @jax.jit
    def step(params, state, xb, yb):
        (loss, _), grads = jax.value_and_grad(loss_and_accuracy, has_aux=True)(params, xb, yb)
        updates, state = opt.update(grads, state, params)
        return gradtx.apply_updates(params, updates), state, loss

    state = opt.init(params)
    rng = np.random.default_rng(seed)
    losses = np.empty(steps)
    for i in range(steps):
        idx = rng.integers(0, len(x), batch_size)  # a mini-batch, as in SGD
        params, state, loss = step(params, state, x[idx], y[idx])
        losses[i] = float(loss)
        progress.update(1)
    final_loss, final_acc = loss_and_accuracy(params, x, y)
    return losses, float(final_loss), float(final_acc)


class _PlainProgress:
    """A minimal progress bar for when tqdm is not installed."""

    def __init__(self, total: int, desc: str):
        self.total, self.n, self.desc = total, 0, desc

    def update(self, k: int):
        self.n += k
        if self.n % max(1, self.total // 20) == 0 or self.n == self.total:
            print(f"\r{self.desc}: {100 * self.n // self.total:3d}%", end="", flush=True)

    def set_description(self, desc: str):
        self.desc = desc

    def close(self):
        print()


def main(argv=None) -> dict[str, tuple[float, float]]:
    parser = argparse.ArgumentParser(
        prog="python -m gradtx.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--steps", type=int, default=1500, help="training steps per optimizer")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="gradtx_demo.png", help="where to write the loss plot")
    args = parser.parse_args(argv)

    x, y = make_spirals(256, args.seed)
    params0 = init_mlp(jax.random.PRNGKey(args.seed), (2, 32, 32, 2))
    total = args.steps * len(OPTIMIZERS)
    try:
        from tqdm import tqdm

        progress = tqdm(total=total, desc="training", unit="step")
    except ImportError:
        progress = _PlainProgress(total, "training")

    start = time.perf_counter()
    curves, results = {}, {}
    for name, make in OPTIMIZERS.items():
        progress.set_description(f"training {name}")
        losses, loss, acc = train(
            name, make(), params0, x, y, args.steps, args.batch_size, args.seed, progress
        )
        curves[name], results[name] = losses, (loss, acc)
    progress.close()
    elapsed = time.perf_counter() - start

    print(f"\n{'optimizer':<14} {'final loss':>10} {'accuracy':>9}")
    print("-" * 35)
    for name, (loss, acc) in results.items():
        print(f"{name:<14} {loss:>10.4f} {acc:>8.1%}")
    print(f"\n{len(OPTIMIZERS)} optimizers x {args.steps} steps in {elapsed:.1f} s")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot written (pip install 'gradtx[demo]').")
        return results
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, losses in curves.items():
        ax.plot(debiased_ema(losses), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (debiased EMA, decay 0.95)")
    ax.set_title(f"Two spirals, MLP 2-32-32-2, mini-batches of {args.batch_size}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"loss curves written to {args.out}")
    return results


if __name__ == "__main__":
    main()
