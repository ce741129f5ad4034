"""Side-by-side throughput comparison in one process (``debris-engine bench``).

Our backends against the peers installed next to them, on the same inputs: SGP4 against
python-sgp4's SatrecArray (Vallado's C++), heyoka's SGP4 propagator and ESA's dSGP4
(PyTorch), each where importable; the breakup model against the published rate of ESA's
C++ implementation (another machine: shown for scale, marked "published"). Every case is
timed as the best of a few runs after one untimed warm-up (kernel compilation and JIT
excluded), with the device synchronised inside the timed region. A case whose predicted
time exceeds the budget is skipped and says so. The pytest-benchmark suite in
benchmarks/ is the reference record; this is the quick look a user runs first.

Records have the format of benchmarks/results/*.json: kernel, backend, dtype, device,
n_objects, n_times, evals_per_s, seconds (plus fragments_per_s for the breakup).
"""

from __future__ import annotations

import importlib
import json
import math
import time
from dataclasses import dataclass, field

import numpy as np

from sgp4.api import SatrecArray

from . import _backend, events, numerical
from .catalog import Catalog
from .constants import EGM2008_GM_KM3_S2, WGS84_A_KM
from .plots import _pyplot
from .screening import screen

__all__ = ["Case", "run", "sgp4_cases", "breakup_cases", "cowell_cases", "screen_cases", "dsgp4_batch",
           "format_table", "plot"]

#: ESA NASA-breakup-model-cpp, parallel SoA build: 3,179,589 fragments in 0.174 s
#: (project reference breakup.md section 2.1; hardware not stated in the source)
ESA_BREAKUP_FRAGMENTS_PER_S = 3_179_589 / 0.174


@dataclass
class Case:
    """One timed case: `make()` prepares (untimed) and returns a zero-argument callable
    whose call is timed; `n_objects` x `n_times` evaluations per call.

    Parameters
    ----------
    kernel : str
        "sgp4", "breakup", "cowell" or "screen".
    backend : str
        The implementation's name in the table (e.g. "debris-engine-numpy", "heyoka").
    n_objects, n_times : int
        Evaluations per call, n_objects x n_times.
    make : callable
        Prepares and returns the timed callable.
    device : str
        The device's name for the record.
    dtype : str
        "float64" or "float32".
    reference : bool
        The reference the ratios of :func:`format_table` divide by.
    extra : dict
        More fields for the record.
    """

    kernel: str
    backend: str
    n_objects: int
    n_times: int
    make: object
    device: str = ""
    dtype: str = "float64"
    reference: bool = False
    extra: dict = field(default_factory=dict)


def _cosmos_like_catalog(n: int, seed: int = 0):
    """n near-earth element sets spread around Cosmos 1408's 2021 orbit, epoch 2021-11-16."""
    rng = np.random.default_rng(seed)
    return Catalog.from_arrays(
        jdsatepoch=np.full(n, 2459534.5), jdsatepochF=np.zeros(n), bstar=10 ** rng.uniform(-5, -3, n),
        ecco=10 ** rng.uniform(-4, -2, n), inclo=np.radians(82.56 + rng.normal(0, 0.3, n)),
        nodeo=np.radians(40 + rng.normal(0, 0.5, n)), argpo=rng.uniform(0, 2 * np.pi, n),
        mo=rng.uniform(0, 2 * np.pi, n), no_kozai=rng.uniform(15.0, 15.7, n) * 2 * np.pi / 1440.0)


def _have(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:
        return False


def sgp4_cases(sizes, n_times: int, backends) -> list[Case]:
    """SGP4 on n objects x n_times minutes (one day) for each size: our backends and peers.

    Parameters
    ----------
    sizes : list of int
        Objects per case.
    n_times : int
        Times over one day.
    backends : list of str
        Resolved backends of ours to time.

    Returns
    -------
    list of Case
        Untimed until :func:`run` calls them.
    """
    minutes = np.linspace(0.0, 1440.0, n_times, endpoint=False)
    jd = 2459534.5 + np.zeros(n_times)
    fr = minutes / 1440.0
    cases = []
    for n in sizes:
        def ours(n=n, b=None):
            cat = _cosmos_like_catalog(n)

            def prepare():
                cat.sgp4(jd[:1], fr[:1], backend=b)     # builds and caches the model, compiles
                sync = _sync(b)

                def call():
                    cat.sgp4(jd, fr, backend=b)
                    sync()
                return call
            return prepare

        for b in backends:
            cases.append(Case("sgp4", f"debris-engine-{b}", n, n_times, ours(n, b), device=_backend.device_name(b)))
        if _have("sgp4"):
            def satrecarray(n=n):
                arr = SatrecArray(_cosmos_like_catalog(n).to_satrecs())
                return lambda: arr.sgp4(jd, fr)
            cases.append(Case("sgp4", "python-sgp4-SatrecArray", n, n_times, satrecarray,
                              device=_backend.cpu_name(), reference=True))
        if _have("heyoka"):
            def heyoka(n=n):
                import heyoka as hy  # optional dependency: a peer, timed only where installed

                prop = hy.model.sgp4_propagator(_cosmos_like_catalog(n).to_satrecs())
                t = np.ascontiguousarray(np.broadcast_to(minutes[:, None], (n_times, n)))
                return lambda: prop(t)
            cases.append(Case("sgp4", "heyoka", n, n_times, heyoka, device=_backend.cpu_name()))
        if _have("dsgp4") and _have("torch"):
            for dev in ["cpu"] + (["cuda"] if "cuda" in backends else []):
                cases.append(Case("sgp4", f"dsgp4-torch-{dev}", n, n_times, _dsgp4_case(n, minutes, dev),
                                  device=_backend.cpu_name() if dev == "cpu" else _backend.device_name("cuda")))
    return cases


def dsgp4_batch(catalog, m: int, device: str):
    """ESA's dSGP4 batch for the element sets of `catalog`, each repeated for m times
    (object-major), tensors on `device`. dSGP4's batch is zipped (one time per entry) and
    its initialisation is a Python loop, so the objects are initialised once and every
    per-object tensor is repeated m times.

    Parameters
    ----------
    catalog : engine.Catalog
        N element sets.
    m : int
        Times per object.
    device : str
        torch device, "cpu" or "cuda".

    Returns
    -------
    dsgp4 batch
        N * m entries, tensors on `device`.

    Raises
    ------
    ImportError
        dsgp4 or torch is not installed.
    """
    import dsgp4  # optional dependency: a peer, timed only where installed
    import torch  # optional dependency: dSGP4's array library

    n = len(catalog)
    lines = catalog.to_tle()
    tles = [dsgp4.tle.TLE(lines[i:i + 2]) for i in range(0, len(lines), 2)]
    _, batch = dsgp4.initialize_tle(tles, gravity_constant_name="wgs-72")
    for key, val in list(vars(batch).items()):
        if torch.is_tensor(val):
            if val.ndim >= 1 and val.shape[0] == n:
                val = val.repeat_interleave(m, dim=0)
            setattr(batch, key, val.to(device))
    return batch


def _dsgp4_case(n: int, minutes: np.ndarray, device: str):
    """dSGP4 on the same n objects and times, on the CPU or the CUDA device."""
    def prepare():
        import dsgp4  # optional dependency: a peer, timed only where installed
        import torch  # optional dependency: dSGP4's array library

        batch = dsgp4_batch(_cosmos_like_catalog(n), minutes.size, device)
        tsince = torch.tensor(np.tile(minutes, n), dtype=torch.float64, device=device)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        def call():
            with torch.device(device):   # dSGP4 makes its temporaries with torch.zeros(...)
                dsgp4.propagate_batch(batch, tsince)
            sync()
        return call
    return prepare


def _sync(backend):
    if backend == "cuda":
        return _backend.xp(backend).cuda.Device().synchronize
    return lambda: None


def breakup_cases(lc_mins, backends) -> list[Case]:
    """The Cosmos 1408 event at each lc_min on our backends.

    Parameters
    ----------
    lc_mins : list of float, m
        Smallest characteristic lengths.
    backends : list of str
        Resolved backends.

    Returns
    -------
    list of Case
        Untimed until :func:`run` calls them.
    """
    cases = []
    for lc in lc_mins:
        n = round(0.1 * 1770.0**0.75 * lc**-1.71)
        for b in backends:
            def prepare(lc=lc, b=b):
                events.cosmos1408(lc_min=0.1, seed=0, backend=b)
                sync = _sync(b)

                def call():
                    events.cosmos1408(lc_min=lc, seed=0, backend=b)
                    sync()
                return call
            cases.append(Case("breakup", f"debris-engine-{b}", n, 1, prepare, device=_backend.device_name(b)))
    return cases


def cowell_cases(sizes, backends) -> list[Case]:
    """engine.numerical.propagate, dp87 defaults, J2-J6 + exponential drag: n fragments of a
    Cosmos-like cloud over one day with hourly outputs (one evaluation = one fragment-day).

    Parameters
    ----------
    sizes : list of int
        Fragments per case.
    backends : list of str
        Resolved backends.

    Returns
    -------
    list of Case
        Untimed until :func:`run` calls them.
    """
    cases = []
    for n in sizes:
        for b in backends:
            def prepare(n=n, b=b):
                rng = np.random.default_rng(0)
                a = WGS84_A_KM + 480.0  # 480 km above the equator (WGS-84), circular in EGM2008's GM
                vc = math.sqrt(EGM2008_GM_KM3_S2 / a)
                inc = math.radians(82.56)
                r = np.tile([a, 0.0, 0.0], (n, 1))
                v = np.tile([0.0, vc * math.cos(inc), vc * math.sin(inc)], (n, 1)) + rng.normal(0, 0.06, (n, 3))
                forces = numerical.Forces(am=10 ** rng.uniform(-3, -1, n))
                times = np.arange(0.0, 86401.0, 3600.0)
                numerical.propagate(r[:2], v[:2], (2459534.5, 0.0), times[:2], forces=numerical.Forces(am=0.01),
                                    backend=b)
                sync = _sync(b)

                def call():
                    numerical.propagate(r, v, (2459534.5, 0.0), times, forces=forces, backend=b)
                    sync()
                return call
            cases.append(Case("cowell", f"debris-engine-{b}", n, 1, prepare, device=_backend.device_name(b)))
    return cases


def screen_cases(sizes, backends) -> list[Case]:
    """engine.screen: the ISS against n Cosmos-like element sets over one day, 5 km.

    Parameters
    ----------
    sizes : list of int
        Secondaries per case.
    backends : list of str
        Resolved backends.

    Returns
    -------
    list of Case
        Untimed until :func:`run` calls them.
    """
    cases = []
    for n in sizes:
        for b in backends:
            def prepare(n=n, b=b):
                cloud, iss = _cosmos_like_catalog(n), events.iss()
                screen(iss, cloud[:10], "2021-11-16T00:00", "2021-11-16T01:00", backend=b)
                sync = _sync(b)

                def call():
                    screen(iss, cloud, "2021-11-16T00:00", "2021-11-17T00:00", threshold_km=5.0, backend=b)
                    sync()
                return call
            cases.append(Case("screen", f"debris-engine-{b}", n, 1, prepare, device=_backend.device_name(b)))
    return cases


def run(cases, *, repeat: int = 3, budget_s: float = 20.0, log=print, progress=None) -> list[dict]:
    """Time every case; returns records. A case is skipped when the same implementation's
    previous size predicts more than budget_s for one call. log(str) gets one line per
    case; progress: None or a callable progress(done, total) in cases, called after each.

    Parameters
    ----------
    cases : list of Case
        What to time.
    repeat : int
        Timed calls per case (the best counts).
    budget_s : float, s
        Most predicted seconds per call.
    log : callable
        ``log(str)``.
    progress : callable, optional
        As above.

    Returns
    -------
    list of dict
        One record per timed case (the benchmarks/results/*.json format).
    """
    records: list[dict] = []
    rate_seen: dict[tuple[str, str], float] = {}
    for done, c in enumerate(cases):
        if progress is not None and done:
            progress(done, len(cases))
        key = (c.kernel, c.backend)
        work = c.n_objects * c.n_times
        if key in rate_seen and work / rate_seen[key] > budget_s:
            log(f"  skip {c.kernel} {c.backend} n={c.n_objects:,}: ~{work / rate_seen[key]:.0f} s per call "
                f"> budget {budget_s:g} s")
            continue
        try:
            call = c.make()
            call()                                  # warm-up, untimed
            best = math.inf
            for _ in range(repeat):
                t0 = time.perf_counter()
                call()
                best = min(best, time.perf_counter() - t0)
                if best > budget_s:
                    break
        except Exception as exc:  # a peer that fails is reported, not fatal
            log(f"  fail {c.kernel} {c.backend} n={c.n_objects:,}: {type(exc).__name__}: {exc}")
            continue
        rate_seen[key] = work / best
        rec = dict(kernel=c.kernel, backend=c.backend, dtype=c.dtype, device=c.device, n_objects=c.n_objects,
                   n_times=c.n_times, evals_per_s=work / best, seconds=best, reference=c.reference)
        if c.kernel == "breakup":
            rec["fragments_per_s"] = c.n_objects / best
        if c.kernel == "cowell":
            rec["fragment_days_per_s"] = c.n_objects / best
        records.append(rec)
        log(f"  {c.kernel:8s} {c.backend:26s} n={c.n_objects:>10,} x {c.n_times:<5d} {best:9.4f} s "
            f"{_si(work / best)} {_UNITS.get(c.kernel, '')}")
    if progress is not None:
        progress(len(cases), len(cases))
    return records


_UNITS = {"sgp4": "evaluations/s", "breakup": "fragments/s", "cowell": "fragment-days/s", "screen": "object-days/s"}


def _si(x: float) -> str:
    for div, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if x >= div:
            return f"{x / div:8.2f}{suffix}"
    return f"{x:8.2f}  "


def format_table(records) -> str:
    """Text table with the ratio of each implementation to the reference of its kernel and
    size (SGP4: SatrecArray; breakup: ESA's published rate).

    Parameters
    ----------
    records : list of dict
        Records of :func:`run`.

    Returns
    -------
    str
    """
    lines = [f"{'kernel':8s} {'implementation':26s} {'n':>10s} {'times':>6s} {'rate':>11s} {'unit':16s} {'ratio':>8s}  vs"]
    for r in records:
        if r["kernel"] == "breakup":
            ref, ref_name = ESA_BREAKUP_FRAGMENTS_PER_S, "ESA C++ published"
        else:
            refs = [q for q in records if q["kernel"] == r["kernel"] and q["n_objects"] == r["n_objects"]
                    and q.get("reference")]
            ref, ref_name = (refs[0]["evals_per_s"], refs[0]["backend"]) if refs else (None, "")
        ratio = f"{r['evals_per_s'] / ref:8.2f}" if ref else f"{'':8s}"
        lines.append(f"{r['kernel']:8s} {r['backend']:26s} {r['n_objects']:>10,} {r['n_times']:>6d} "
                     f"{_si(r['evals_per_s']):>11s} {_UNITS.get(r['kernel'], ''):16s} {ratio}  {ref_name}")
    return "\n".join(lines)


#: an axis is logarithmic only when its values span this factor or more; over a few
#: per cent a log axis stretches the differences and its ticks are unreadable
LOG_AXIS_MIN_SPAN = 10.0


def _axis_scale(ax, which: str, values) -> None:
    """Log scale for values spanning a factor LOG_AXIS_MIN_SPAN or more, else linear from zero."""
    v = np.asarray([x for x in values if x > 0], dtype=np.float64)
    if v.size and v.max() / v.min() >= LOG_AXIS_MIN_SPAN:
        getattr(ax, f"set_{which}scale")("log")
    else:
        getattr(ax, f"set_{which}lim")(0.0, 1.05 * v.max() if v.size else 1.0)


def plot(records, path):
    """Throughput against problem size, one line per (kernel, implementation), PNG at path.
    An axis is logarithmic when its values span a factor LOG_AXIS_MIN_SPAN or more, else
    linear from zero, so that a 1 % difference looks like one.

    Parameters
    ----------
    records : list of dict
        Records of :func:`run`.
    path : str
        PNG file to write.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed.
    """
    plt = _pyplot()   # imports matplotlib (optional) on the file-only Agg backend
    kernels = sorted({r["kernel"] for r in records})
    fig, axes = plt.subplots(1, len(kernels), figsize=(6 * len(kernels), 4.5), squeeze=False)
    for ax, k in zip(axes[0], kernels):
        ys = [r["evals_per_s"] for r in records if r["kernel"] == k]
        for impl in sorted({r["backend"] for r in records if r["kernel"] == k}):
            pts = sorted((r["n_objects"], r["evals_per_s"]) for r in records if r["kernel"] == k and r["backend"] == impl)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=impl)
        if k == "breakup":
            ax.axhline(ESA_BREAKUP_FRAGMENTS_PER_S, color="grey", ls="--", label="ESA C++ (published)")
            ys.append(ESA_BREAKUP_FRAGMENTS_PER_S)
        _axis_scale(ax, "x", [r["n_objects"] for r in records if r["kernel"] == k])
        _axis_scale(ax, "y", ys)
        ax.set_xlabel("objects" if k != "breakup" else "fragments")
        ax.set_ylabel(_UNITS.get(k, "per s"))
        ax.set_title(k)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return fig


def save(records, path) -> None:
    """Write records as JSON.

    Parameters
    ----------
    records : list of dict
        Records of :func:`run`.
    path : str
        The file.

    Returns
    -------
    None
    """
    with open(path, "w") as f:
        json.dump(records, f, indent=1)
