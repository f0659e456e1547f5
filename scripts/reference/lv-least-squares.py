"""Reference values for tests/fit/least-squares.test.ts: scipy's least_squares on the project's
Lotka-Volterra data (data/lotka_volterra.csv), with the spec's model, start and bounds.

    python3 scripts/reference/lv-least-squares.py > tests/fit/lv-scipy-reference.json

The model is integrated by solve_ivp (DOP853, rtol 1e-11, atol 1e-12); the fit is 'trf' with
x_scale='jac' and the spec's bounds [0.01, 10]; the standard errors are curve_fit's:
s^2 (J^T J)^-1 with s^2 = |r|^2 / (m - n), from scipy's own finite-difference Jacobian at the optimum.
"""
import json
import sys

import numpy as np
import scipy
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares

rows = [l for l in open("data/lotka_volterra.csv") if not l.startswith("#")]
header = rows[0].strip().split(",")
data = np.array([[float(v) for v in l.strip().split(",")] for l in rows[1:] if l.strip()])
t, x, y = data[:, 0], data[:, 1], data[:, 2]


def model(theta):
    a, b, c, d = theta
    sol = solve_ivp(lambda _t, u: [a * u[0] - b * u[0] * u[1], -c * u[1] + d * u[0] * u[1]], (0, t[-1]), [1.0, 1.0],
                    t_eval=t, method="DOP853", rtol=1e-11, atol=1e-12)
    return sol.y


def residuals(theta):
    u = model(theta)
    # The spec's row order: for each time, x then y.
    return np.column_stack([u[0] - x, u[1] - y]).ravel()


start = [1.2, 0.8, 2.4, 0.8]
fit = least_squares(residuals, start, x_scale="jac", bounds=([0.01] * 4, [10] * 4), method="trf",
                    ftol=1e-12, xtol=1e-12, gtol=1e-12)
J = fit.jac
m, n = J.shape
s2 = 2 * fit.cost / (m - n)
cov = s2 * np.linalg.inv(J.T @ J)
se = np.sqrt(np.diag(cov))
corr = cov / np.outer(se, se)
json.dump({
    "command": "python3 scripts/reference/lv-least-squares.py > tests/fit/lv-scipy-reference.json",
    "scipy": scipy.__version__,
    "start": start,
    "params": list(fit.x),
    "loss": float(2 * fit.cost),
    "standardErrors": list(se),
    "correlation": corr.tolist(),
    "residualVariance": s2,
    "dof": m - n,
    "nfev": int(fit.nfev),
    "status": int(fit.status),
}, sys.stdout, indent=2)
print()
