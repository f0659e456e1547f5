"""Cross-check of data/reference/gradient-accuracy.json with scipy (run once; numpy/scipy are not
dependencies of the project). For each problem it integrates the same variational equations
y' = f, S' = df/dy S + [0 | df/dp] with scipy's DOP853 (rtol = atol = 1e-13), forms
dL/d(y0, p) = sum_k S_k^T g_k with the same losses, and writes the relative difference to the
committed gradient into the JSON under "scipy".

    python3 scripts/reference/gradient_scipy.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy.integrate import solve_ivp

FILE = pathlib.Path(__file__).resolve().parents[2] / "data" / "reference" / "gradient-accuracy.json"


def nbody(bodies, dims):
    """f and the Jacobians of the N-body field (G = 1): positions then velocities; p = masses."""
    n = bodies * dims

    def f(y, m):
        r = y[:n].reshape(bodies, dims)
        acc = np.zeros((bodies, dims))
        for i in range(bodies):
            for j in range(bodies):
                if i != j:
                    dij = r[j] - r[i]
                    acc[i] += m[j] * dij / np.linalg.norm(dij) ** 3
        return np.concatenate([y[n:], acc.ravel()])

    def jac(y, m):
        r = y[:n].reshape(bodies, dims)
        Jy = np.zeros((2 * n, 2 * n))
        Jp = np.zeros((2 * n, bodies))
        Jy[:n, n:] = np.eye(n)
        for i in range(bodies):
            for j in range(bodies):
                if i == j:
                    continue
                dij = r[j] - r[i]
                dist = np.linalg.norm(dij)
                J = np.eye(dims) / dist**3 - 3 * np.outer(dij, dij) / dist**5
                rows = slice(n + i * dims, n + (i + 1) * dims)
                Jy[rows, j * dims:(j + 1) * dims] += m[j] * J
                Jy[rows, i * dims:(i + 1) * dims] -= m[j] * J
                Jp[rows, j] += dij / dist**3
        return Jy, Jp

    return f, jac


def lotka_volterra():
    def f(y, p):
        x, z = y
        return np.array([p[0] * x - p[1] * x * z, -p[2] * z + p[3] * x * z])

    def jac(y, p):
        x, z = y
        return (np.array([[p[0] - p[1] * z, -p[1] * x], [p[3] * z, p[3] * x - p[2]]]),
                np.array([[x, -x * z, 0, 0], [0, 0, -z, x * z]]))

    return f, jac


def brusselator():
    def f(y, p):
        x, z = y
        return np.array([p[0] + x * x * z - (p[1] + 1) * x, p[1] * x - x * x * z])

    def jac(y, p):
        x, z = y
        return (np.array([[2 * x * z - (p[1] + 1), x * x], [p[1] - 2 * x * z, -x * x]]),
                np.array([[1.0, -x], [0.0, x]]))

    return f, jac


def van_der_pol():
    def f(y, p):
        x, z = y
        return np.array([z, p[0] * (1 - x * x) * z - x])

    def jac(y, p):
        x, z = y
        return (np.array([[0.0, 1.0], [-2 * p[0] * x * z - 1, p[0] * (1 - x * x)]]),
                np.array([[0.0], [(1 - x * x) * z]]))

    return f, jac


# Each problem: its field and loss gradient g(y) -> (loss, dL/dy) per output row.
def squares_of_first(k):
    return lambda y: (float(np.sum(y[:k] ** 2)), np.concatenate([2 * y[:k], np.zeros(len(y) - k)]))


offset_squares = lambda y: (float(np.sum((y - 1) ** 2)), 2 * (y - 1))

PROBLEMS = {
    "figureEight": (nbody(3, 3), squares_of_first(9)),
    "kepler09": (nbody(2, 2), squares_of_first(4)),
    "lotkaVolterra": (lotka_volterra(), offset_squares),
    "brusselator": (brusselator(), squares_of_first(2)),
    "vanDerPol": (van_der_pol(), squares_of_first(2)),
}


def gradient(spec, field, loss_grad):
    f, jac = field
    y0 = np.array(spec["y0"], dtype=float)
    p = np.array(spec["params"], dtype=float)
    d, P = len(y0), len(p)
    ncol = d + P

    def rhs(_t, z):
        y = z[:d]
        S = z[d:].reshape(d, ncol)
        Jy, Jp = jac(y, p)
        dS = Jy @ S
        dS[:, d:] += Jp
        return np.concatenate([f(y, p), dS.ravel()])

    z0 = np.concatenate([y0, np.hstack([np.eye(d), np.zeros((d, P))]).ravel()])
    times = np.array(spec["times"], dtype=float)
    sol = solve_ivp(rhs, (spec["t0"], times[-1]), z0, method="DOP853", rtol=1e-13, atol=1e-13, t_eval=times)
    grad = np.zeros(ncol)
    loss = 0.0
    for k in range(len(times)):
        z = sol.y[:, k]
        value, g = loss_grad(z[:d])
        loss += value
        grad += z[d:].reshape(d, ncol).T @ g
    return loss, grad[:d], grad[d:]


def main():
    data = json.loads(FILE.read_text())
    report = {"command": "python3 scripts/reference/gradient_scipy.py", "scipy": scipy.__version__,
              "method": "solve_ivp DOP853, rtol = atol = 1e-13, t_eval at the output times", "relativeDifference": {}}
    for key, (field, loss_grad) in PROBLEMS.items():
        spec = data["problems"][key]
        loss, dy0, dp = gradient(spec, field, loss_grad)
        ours = np.concatenate([spec["dy0"], spec["dp"]])
        rel = float(np.linalg.norm(np.concatenate([dy0, dp]) - ours) / np.linalg.norm(ours))
        report["relativeDifference"][key] = rel
        print(f"{key}: loss {loss!r} (ours {spec['loss']!r}), gradient relative difference {rel:.2e}")
    data["scipy"] = report
    FILE.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
