"""Reference values for the stiff tests and benchmark (tests/solvers/stiff.test.ts,
tests/gradients/implicit-aca.test.ts, scripts/bench/12-stiff.ts).

Run:  python3 scripts/reference/stiff.py reference > tests/solvers/stiff-reference.json
      python3 scripts/reference/stiff.py timings > scripts/bench/stiff-scipy-timings.json

scipy's Radau (Hairer's RADAU5 algorithm, order 5) with the exact Jacobians at rtol 1e-12; the
Robertson loss gradient by central differences of those solutions (relative step 1e-6). The
timings (work-precision rows of the benchmark) are scipy Radau and BDF at the benchmark's
tolerances on this machine, best of 3, with the same exact Jacobians.
"""
import json
import platform
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp


def rober(k):
    k1, k2, k3 = k

    def f(t, y):
        return [-k1 * y[0] + k3 * y[1] * y[2], k1 * y[0] - k2 * y[1] ** 2 - k3 * y[1] * y[2], k2 * y[1] ** 2]

    def jac(t, y):
        return [[-k1, k3 * y[2], k3 * y[1]], [k1, -2 * k2 * y[1] - k3 * y[2], -k3 * y[1]], [0, 2 * k2 * y[1], 0]]

    return f, jac


def hires():
    # E. Hairer, G. Wanner, Solving ODEs II, sec. IV.10; Bari test set "HIRES".
    def f(t, y):
        return [
            -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007,
            1.71 * y[0] - 8.75 * y[1],
            -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4],
            8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3],
            -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6],
            -280.0 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6],
            280.0 * y[5] * y[7] - 1.81 * y[6],
            -280.0 * y[5] * y[7] + 1.81 * y[6],
        ]

    def jac(t, y):
        J = np.zeros((8, 8))
        J[0, 0], J[0, 1], J[0, 2] = -1.71, 0.43, 8.32
        J[1, 0], J[1, 1] = 1.71, -8.75
        J[2, 2], J[2, 3], J[2, 4] = -10.03, 0.43, 0.035
        J[3, 1], J[3, 2], J[3, 3] = 8.32, 1.71, -1.12
        J[4, 4], J[4, 5], J[4, 6] = -1.745, 0.43, 0.43
        J[5, 3], J[5, 4], J[5, 5], J[5, 6], J[5, 7] = 0.69, 1.71, -280 * y[7] - 0.43, 0.69, -280 * y[5]
        J[6, 5], J[6, 6], J[6, 7] = 280 * y[7], -1.81, 280 * y[5]
        J[7, 5], J[7, 6], J[7, 7] = -280 * y[7], 1.81, -280 * y[5]
        return J

    return f, jac


def vdp(mu):
    def f(t, y):
        return [y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]]

    def jac(t, y):
        return [[0, 1], [-2 * mu * y[0] * y[1] - 1, mu * (1 - y[0] ** 2)]]

    return f, jac


PROBLEMS = {
    "rober": dict(make=lambda: rober((0.04, 3e7, 1e4)), y0=[1.0, 0.0, 0.0], t1=1e11, atol_ref=1e-22),
    "hires": dict(make=hires, y0=[1, 0, 0, 0, 0, 0, 0, 0.0057], t1=321.8122, atol_ref=1e-18),
    "vdp1000": dict(make=lambda: vdp(1000.0), y0=[2.0, 0.0], t1=3000.0, atol_ref=1e-12),
}


def reference(name):
    p = PROBLEMS[name]
    f, jac = p["make"]()
    sol = solve_ivp(f, (0, p["t1"]), p["y0"], method="Radau", rtol=1e-12, atol=p["atol_ref"], jac=jac)
    assert sol.success, sol.message
    return sol.y[:, -1].tolist()


def robertson_gradient(obs=(0.7, 0.0, 0.3), T=40.0):
    k = np.array([0.04, 3e7, 1e4])

    def end(kk):
        f, jac = rober(kk)
        sol = solve_ivp(f, (0, T), [1.0, 0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-20, jac=jac)
        return sol.y[:, -1]

    def loss(kk):
        return float(np.sum((end(kk) - np.array(obs)) ** 2))

    grad = []
    for i in range(3):
        h = 1e-6 * k[i]
        kp, km = k.copy(), k.copy()
        kp[i] += h
        km[i] -= h
        grad.append((loss(kp) - loss(km)) / (2 * h))
    return {"T": T, "obs": list(obs), "k": k.tolist(), "loss": loss(k), "dLdk": grad}


def timings(name, rtols):
    p = PROBLEMS[name]
    f, jac = p["make"]()
    rows = []
    for method in ("Radau", "BDF"):
        for rtol in rtols:
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                sol = solve_ivp(f, (0, p["t1"]), p["y0"], method=method, rtol=rtol, atol=rtol * 1e-4 if name == "rober" else rtol * 1e-3, jac=jac)
                best = min(best, time.perf_counter() - t0)
            rows.append({"method": method, "rtol": rtol, "ms": best * 1e3, "steps": int(sol.t.size - 1), "nfev": int(sol.nfev), "njev": int(sol.njev), "nlu": int(sol.nlu), "y": sol.y[:, -1].tolist()})
    return rows


if __name__ == "__main__":
    import sys

    mode = sys.argv[1] if len(sys.argv) > 1 else "reference"
    out = {
        "command": f"python3 scripts/reference/stiff.py {mode}",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    if mode == "reference":
        out["reference"] = {}
        for name, p in PROBLEMS.items():
            print(name, file=sys.stderr)
            out["reference"][name] = {"y0": p["y0"], "t1": p["t1"], "y": reference(name)}
        out["robertsonGradient"] = robertson_gradient()
    else:
        out["benchmarkAtol"] = "rober: rtol * 1e-4; hires, vdp1000: rtol * 1e-3"
        out["timings"] = {}
        for name in PROBLEMS:
            print(name, file=sys.stderr)
            out["timings"][name] = timings(name, [1e-4, 1e-6, 1e-8, 1e-10])
    print(json.dumps(out, indent=1))
