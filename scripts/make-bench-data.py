#!/usr/bin/env python3
"""Developer tool: writes a --data folder of synthetic tokens in the layout of docs/MODEL.md §1 (R = μ_{Y*} + ε,
W₊ = ρμ_{Y*} + ε, W₋ = ρμ_{−Y*} + ε, I = ε; μ₊₁ = ‖μ‖e₀, μ₋₁ = ‖μ‖e₁; ⌈ηn⌉ labels flipped), so that
benign-attention and a reference implementation can be timed on identical arrays.
Usage: make-bench-data.py OUT_DIR --n 20 --T 8 --d 4500 --n-test 200 [--signal-norm 20] [--rho 0.2] [--eta 0.2]
       [--sigma 1] [--seed 0] [--dtype float64|float32]"""
import argparse, json, math, os
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--n", type=int, required=True); ap.add_argument("--T", type=int, required=True)
ap.add_argument("--d", type=int, required=True); ap.add_argument("--n-test", type=int, required=True)
ap.add_argument("--signal-norm", type=float, default=20.0); ap.add_argument("--rho", type=float, default=0.2)
ap.add_argument("--eta", type=float, default=0.2); ap.add_argument("--sigma", type=float, default=1.0)
ap.add_argument("--seed", type=int, default=0); ap.add_argument("--dtype", default="float64")
a = ap.parse_args()
rng = np.random.default_rng(a.seed)

def tokens(count, labels):
    x = rng.standard_normal((count, a.T, a.d)) * a.sigma
    own = np.where(labels > 0, 0, 1)
    rows = np.arange(count)
    x[rows, 0, own] += a.signal_norm
    x[rows, 1, own] += a.rho * a.signal_norm
    x[rows, 2, 1 - own] += a.rho * a.signal_norm
    return x.astype(a.dtype)

y_true = rng.choice([-1.0, 1.0], size=a.n)
x_train = tokens(a.n, y_true)
noisy = np.zeros(a.n, dtype=bool)
noisy[rng.permutation(a.n)[: math.ceil(a.eta * a.n)]] = True
y_train = np.where(noisy, -y_true, y_true)
y_test = rng.choice([-1.0, 1.0], size=a.n_test)
x_test = tokens(a.n_test, y_test)
os.makedirs(a.out, exist_ok=True)
for name, value in [("X_train", x_train), ("y_train", y_train), ("noisy_train", noisy), ("X_test", x_test), ("y_test", y_test)]:
    np.save(os.path.join(a.out, name + ".npy"), value)
with open(os.path.join(a.out, "config.json"), "w") as f:
    json.dump({"signal_norm": a.signal_norm}, f)
