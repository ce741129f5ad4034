"""The ``debris-engine`` command line.

    debris-engine propagate INPUT --start ISO --stop ISO --step SECONDS [--backend B] [--out FILE]
    debris-engine propagate --example
    debris-engine breakup cosmos1408 [--lc-min 0.1] [--seed 0] [--out FILE] [--tle FILE] [--gabbard FILE.png]
    debris-engine bench [--quick] [--out DIR]
    debris-engine scenario cosmos1408 --out DIR [--lc-min 0.1] [--days 7] [--backend auto] [--seed 0]
    debris-engine screen SECONDARIES (--primary FILE | --all) [--start] [--stop] [--threshold-km 5] [--out FILE] [--cdm DIR]

User mistakes (a missing file, a bad element set, a bad option) are reported in one
message and exit code 2, never a traceback. Exit codes: 0 success, 1 the run
finished but some evaluations carry SGP4 error codes and --strict was given, 2 user
error, 3 the requested backend cannot run on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from importlib import resources

import numpy as np

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_BACKEND = 0, 1, 2, 3


class UserError(Exception):
    """A mistake in the command line or its inputs: printed without a traceback."""


def example_path() -> str:
    """Path of the bundled example catalogue (two real element sets and 998 synthetic fragments)."""
    return str(resources.files("engine") / "data" / "example.tle")


def _load_catalog(path: str, fmt: str, errors: str, whichconst: str, opsmode: str):
    import engine

    if not os.path.exists(path):
        raise UserError(f"input file {path!r} does not exist")
    if fmt == "auto":
        ext = os.path.splitext(path)[1].lower()
        fmt = "omm" if ext in (".json", ".xml", ".csv", ".kvn", ".omm") else "tle"
    loader = engine.load_omm if fmt == "omm" else engine.load_tle
    return loader(path, errors=errors, whichconst=whichconst, opsmode=opsmode)


def _window(cat, start, stop):
    """--start and --stop as datetime64[us]: by default the latest epoch of cat (to the
    minute) and one day after the start."""
    from .timeconv import to_datetime64

    if start is None:
        start = cat.epoch.max().astype("datetime64[m]").astype("datetime64[us]")
    else:
        start = to_datetime64(start)
    stop = start + np.timedelta64(1, "D") if stop is None else to_datetime64(stop)
    if stop < start:
        raise UserError(f"--stop {stop} is before --start {start}")
    return start, stop


def _time_grid(cat, start, stop, step_s: float):
    if not step_s > 0 or not np.isfinite(step_s):
        raise UserError(f"--step must be a positive number of seconds, got {step_s}")
    start, stop = _window(cat, start, stop)
    span_us = (stop - start).astype("int64")
    step_us = int(round(step_s * 1e6))
    if step_us < 1:
        raise UserError("--step is below one microsecond")
    count = span_us // step_us + 1
    return start + np.arange(count, dtype=np.int64) * np.timedelta64(step_us, "us")


def _write_csv(path, cat, times, chunks):
    """chunks: iterable of (index_slice, e, r, v); rows written as they come."""
    iso = np.datetime_as_string(times, unit="us")
    with open(path, "w", encoding="utf-8") as f:
        f.write("satnum,name,time_utc,error,x_km,y_km,z_km,vx_km_s,vy_km_s,vz_km_s\n")
        for sl, e, r, v in chunks:
            for k, i in enumerate(range(sl.start, sl.stop)):
                name = cat.name[i].replace(",", " ")
                for j in range(len(times)):
                    x = r[k, j]
                    w = v[k, j]
                    f.write(
                        f"{cat.satnum[i]},{name},{iso[j]},{e[k, j]},{x[0]:.9f},{x[1]:.9f},{x[2]:.9f},"
                        f"{w[0]:.12f},{w[1]:.12f},{w[2]:.12f}\n"
                    )


def cmd_propagate(args) -> int:
    from . import _backend, errors
    from ._progress import progress
    from .timeconv import jd_from_datetime64

    if args.example and args.input:
        raise UserError("give either INPUT or --example, not both")
    if not args.example and not args.input:
        raise UserError("give an INPUT file of TLE or OMM element sets, or --example for the bundled catalogue")
    path = example_path() if args.example else args.input
    cat = _load_catalog(path, args.format, args.errors, args.whichconst, args.opsmode)
    if len(cat) == 0:
        raise UserError(f"{path!r} holds no element sets")
    times = _time_grid(cat, args.start, args.stop, args.step)
    n, m = len(cat), len(times)
    out = args.out
    ext = None if out is None else os.path.splitext(out)[1].lower()
    if out is not None and ext not in (".npz", ".csv", ".oem"):
        raise UserError(f"--out {out!r}: the file name must end in .npz, .csv or .oem (CCSDS OEM)")
    keep = ext in (".npz", ".oem")  # written from arrays held whole; .csv is streamed
    if keep and n * m * 56 > 8 * 2**30:
        raise UserError(
            f"{n} objects x {m} times would need {n * m * 56 / 2**30:.1f} GiB for {ext} output; "
            "use a larger --step, a shorter window, or .csv output (streamed)"
        )
    backend = _backend.resolve(args.backend)
    jd, fr = jd_from_datetime64(times)
    # Objects are propagated in blocks so that memory stays bounded and progress is visible.
    block = max(1, min(n, 4_000_000 // max(m, 1)))
    counts = np.zeros(256, dtype=np.int64)
    bad_objects = np.zeros(256, dtype=np.int64)
    alt_min, alt_max, alt_medians = np.inf, -np.inf, []
    if keep:
        e_all = np.empty((n, m), np.uint8)
        r_all = np.empty((n, m, 3))
        v_all = np.empty((n, m, 3))
    radius = 6378.135 if cat.whichconst != "wgs84" else 6378.137
    bar = progress(n, "propagate", "objects", enabled=not args.quiet)
    t0 = time.perf_counter()
    blocks = []
    try:
        for a in range(0, n, block):
            sl = slice(a, min(a + block, n))
            e, r, v = cat[sl].sgp4(jd, fr, backend=backend, to_host=True)
            e, r, v = np.asarray(e), np.asarray(r), np.asarray(v)
            counts += np.bincount(e.ravel(), minlength=256)
            for code in np.unique(e):
                bad_objects[code] += int(np.any(e == code, axis=1).sum())
            alt = np.linalg.norm(r, axis=-1) - radius
            if np.isfinite(alt).any():
                alt_min = min(alt_min, float(np.nanmin(alt)))
                alt_max = max(alt_max, float(np.nanmax(alt)))
                alt_medians.append(np.nanmedian(alt, axis=1))
            if keep:
                e_all[sl], r_all[sl], v_all[sl] = e, r, v
            elif out is not None:
                blocks.append((sl, e, r, v))
            bar.update(sl.stop - sl.start)
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0
    if ext == ".oem":
        from .io import oem

        oem.write(out, cat, times, r_all, v_all, e=e_all)
    elif keep:
        np.savez_compressed(
            out, satnum=cat.satnum, name=cat.name.astype(str), times_utc=times, jd=jd, fr=fr,
            e=e_all, r_km=r_all, v_km_s=v_all, frame=np.array("TEME"),
        )
    elif out is not None:
        _write_csv(out, cat, times, blocks)

    total = n * m
    print(
        f"debris-engine propagate: {n} objects x {m} times "
        f"({np.datetime_as_string(times[0], unit='s')} .. {np.datetime_as_string(times[-1], unit='s')} UTC, "
        f"step {args.step:g} s), backend {backend} ({_backend.device_name(backend)})"
    )
    if cat.rejected:
        print(f"  skipped records    {len(cat.rejected)} (bad element sets; see the warning above)")
    print(f"  evaluations        {total:,} in {elapsed:.2f} s ({total / max(elapsed, 1e-9) / 1e6:.2f} M/s)")
    for code in np.flatnonzero(counts):
        print(
            f"  error code {code:<7d} {counts[code]:,} evaluations, {bad_objects[code]:,} objects: "
            f"{errors.message(code)}"
        )
    if alt_medians:
        med = np.nanmedian(np.concatenate(alt_medians))
        print(
            f"  altitude           min {alt_min:,.1f} km, median of object medians {med:,.1f} km, "
            f"max {alt_max:,.1f} km (above a {radius} km sphere)"
        )
    if out is not None:
        print(f"  written            {out}")
    if args.strict and counts[1:].sum():
        return EXIT_ERRORS
    return EXIT_OK


EVENTS = ("cosmos1408", "iridium-cosmos")
_FRAGMENT_FIELDS = ("lc", "am", "area", "mass", "parent", "kind", "role")


def _write_fragments(path: str, frags) -> None:
    h = frags.to_host()
    if path.lower().endswith(".npz"):
        np.savez_compressed(path, lc_m=h.lc, am_m2_kg=h.am, area_m2=h.area, mass_kg=h.mass, dv_km_s=h.dv,
                            r_km=h.r, v_km_s=h.v, parent=h.parent, kind=h.kind, role=h.role,
                            epoch_utc=np.array(str(h.epoch)), frame=np.array("TEME"))
        return
    with open(path, "w") as f:
        f.write("index,lc_m,am_m2_kg,area_m2,mass_kg,dvx_km_s,dvy_km_s,dvz_km_s,"
                "x_km,y_km,z_km,vx_km_s,vy_km_s,vz_km_s,parent,kind,role\n")
        cols = np.column_stack([h.lc, h.am, h.area, h.mass, h.dv, h.r, h.v])
        for i in range(len(h)):
            f.write(f"{i}," + ",".join(repr(float(x)) for x in cols[i])
                    + f",{h.parent[i]},{h.kind[i]},{h.role[i]}\n")


def cmd_breakup(args) -> int:
    import warnings

    from . import _backend, events

    for opt, path, ends in (("--out", args.out, (".npz", ".csv")), ("--tle", args.tle, (".tle", ".txt")),
                            ("--gabbard", args.gabbard, (".png",))):
        if path is not None and not path.lower().endswith(ends):
            raise UserError(f"{opt} {path!r}: the file name must end in {' or '.join(ends)}")
    backend = _backend.resolve(args.backend)
    t0 = time.perf_counter()
    make = events.cosmos1408 if args.event == "cosmos1408" else events.iridium_cosmos
    frags = make(lc_min=args.lc_min, seed=args.seed, backend=backend)
    elapsed = time.perf_counter() - t0
    h = frags.to_host()
    ev = h.event
    print(f"debris-engine breakup {args.event}: {len(h):,} fragments >= {args.lc_min:g} m at "
          f"{np.datetime_as_string(h.epoch, unit='s')} UTC, seed {args.seed}, backend {backend} "
          f"({_backend.device_name(backend)}), {elapsed:.2f} s")
    print(f"  event              {'catastrophic' if ev['catastrophic'] else 'non-catastrophic'} collision, "
          f"impact {ev['impact_speed_kms']:.2f} km/s, {ev['emr_j_per_kg'] / 1e3:,.0f} J/g, "
          f"model mass M = {ev['sbm_mass_kg']:,.1f} kg")
    if len(h):
        dv = np.linalg.norm(h.dv, axis=1) * 1e3
        print(f"  size Lc            {h.lc.min():.3g} .. {h.lc.max():.3g} m; {int((h.lc >= 0.1).sum()):,} >= 10 cm")
        print(f"  A/M                median {np.median(h.am):.3g} m^2/kg; delta-v median {np.median(dv):.0f} m/s, "
              f"95th percentile {np.percentile(dv, 95):.0f} m/s")
    print(f"  mass               {h.mass.sum():,.1f} kg in fragments + {ev['unresolved_mass_kg']:,.1f} kg "
          f"expected below lc_min = {ev['parents_mass_kg']:,.1f} kg of parents"
          + (f"; {ev['dropped']:,} fragments not deposited (mass limit)" if ev["dropped"] else ""))
    if args.out:
        _write_fragments(args.out, frags)
        print(f"  written            {args.out}")
    if args.tle or args.gabbard:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cloud = frags.to_catalog(first_satnum=args.first_satnum)
        print(f"  SGP4 catalogue     {len(cloud):,} element sets; {cloud.not_in_orbit.summary()}"
              + (f"; {len(cloud.rejected):,} not fitted" if cloud.rejected else ""))
        if args.tle:
            cloud.write_tle(args.tle)
            print(f"  written            {args.tle}")
        if args.gabbard:
            from .plots import gabbard

            gabbard([cloud], [f"{args.event}, Lc >= {args.lc_min:g} m, seed {args.seed}"], path=args.gabbard)
            print(f"  written            {args.gabbard}")
    return EXIT_OK


def _sizes(text: str, what: str) -> list:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(f"{what} {text!r}: give comma-separated numbers, e.g. 1e3,1e4") from None
    if not vals or any(not (v > 0) for v in vals):
        raise UserError(f"{what} {text!r}: give positive numbers")
    return vals


def cmd_bench(args) -> int:
    from . import _backend, bench

    backends = ["numpy"] + (["cuda"] if _backend.cuda_status()[0] else [])
    if args.backend != "auto":
        backends = [_backend.resolve(args.backend)]
    if args.quick:
        sizes, n_times, lcs = [1e3, 1e4], 144, [0.01]
    else:
        sizes, n_times, lcs = [1e3, 1e4, 1e5] + ([1e6] if "cuda" in backends else []), 1440, [0.01, 0.003, 0.001]
    if args.sizes:
        sizes = _sizes(args.sizes, "--sizes")
    if args.lc_min:
        lcs = _sizes(args.lc_min, "--lc-min")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    print(f"debris-engine bench: backends {', '.join(backends)}; CPU {_backend.cpu_name()}"
          + (f"; GPU {_backend.device_name('cuda')}" if "cuda" in backends else "; no GPU"))
    small = [int(n) for n in sizes if n <= 1e4] or [int(min(sizes))]
    cases = (bench.sgp4_cases([int(n) for n in sizes], n_times, backends) + bench.breakup_cases(lcs, backends)
             + bench.cowell_cases([min(n, 2000) for n in small], backends) + bench.screen_cases(small, backends))
    records = bench.run(cases, repeat=args.repeat, budget_s=args.budget)
    print()
    print(bench.format_table(records))
    if args.out:
        stamp = time.strftime("%Y-%m-%d", time.gmtime())
        path = os.path.join(args.out, f"bench-{stamp}.json")
        bench.save(records, path)
        print(f"  written            {path}")
        try:
            bench.plot(records, os.path.join(args.out, f"bench-{stamp}.png"))
            print(f"  written            {os.path.join(args.out, f'bench-{stamp}.png')}")
        except ImportError:
            print("  (no plot: matplotlib is not installed; pip install 'debris-engine[plot]')")
    return EXIT_OK


def cmd_screen(args) -> int:
    import warnings

    from . import _backend
    from .screening import screen

    if args.out is not None and not args.out.lower().endswith((".csv", ".parquet")):
        raise UserError(f"--out {args.out!r}: the file name must end in .csv or .parquet")
    if args.all == (args.primary is not None):
        raise UserError("give either --primary FILE (one against many) or --all (all against all)")
    sec = _load_catalog(args.secondaries, "auto", args.errors, "wgs72", "i")
    pri = None if args.all else _load_catalog(args.primary, "auto", args.errors, "wgs72", "i")
    start, stop = (str(np.datetime_as_string(x, unit="s")) for x in _window(sec, args.start, args.stop))
    backend = _backend.resolve(args.backend)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # excluded objects are printed below
        conj = screen(pri, sec, start, stop, threshold_km=args.threshold_km, backend=backend)
    elapsed = time.perf_counter() - t0
    what = "all against all" if pri is None else f"{len(pri)} against {len(sec)}"
    print(f"debris-engine screen: {what} objects, {start} .. {stop} UTC, threshold {args.threshold_km:g} km, "
          f"backend {backend} ({_backend.device_name(backend)}), {elapsed:.2f} s")
    print(f"  close approaches   {len(conj):,}")
    if len(conj):
        c = conj.sort("miss_km")
        for k in range(min(len(c), args.top)):
            print(f"    {np.datetime_as_string(c.tca[k], unit='ms')}  {int(c.primary_satnum[k]):>6d} "
                  f"{int(c.secondary_satnum[k]):>6d}  {c.miss_km[k]:8.3f} km  {c.vrel_kms[k]:6.3f} km/s")
    if len(conj.excluded):
        print(f"  excluded           {len(conj.excluded)} objects at some times (SGP4 error codes)")
    if args.out:
        (conj.to_csv if args.out.lower().endswith(".csv") else conj.to_parquet)(args.out)
        print(f"  written            {args.out}")
    if args.cdm:
        from . import cdm

        files = cdm.write_conjunctions(conj, args.cdm, hbr_km=args.hbr_km)
        print(f"  written            {len(files)} CDMs in {args.cdm}")
    return EXIT_OK


def cmd_scenario(args) -> int:
    from . import scenario

    real = None
    if args.real:
        real = _load_catalog(args.real, "auto", "skip", "wgs72", "i")
    t0 = time.perf_counter()
    res = scenario.cosmos1408(lc_min=args.lc_min, days=args.days, seed=args.seed, backend=args.backend,
                              out=args.out, threshold_km=args.threshold_km, years=args.years,
                              area_m2=args.area, real_cloud=real, quiet=args.quiet,
                              log=(lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr)))
    print(f"debris-engine scenario cosmos1408: done in {time.perf_counter() - t0:.1f} s, backend {res.conjunctions.backend}")
    print(res.summary())
    for f in res.files:
        print(f"  written            {f}")
    return EXIT_OK


def _backend_option(parser, help_text: str = "compute backend (default: auto)") -> None:
    """The --backend option every command shares."""
    parser.add_argument("--backend", choices=("auto", "numpy", "cuda"), default="auto", help=help_text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="debris-engine",
        description="Create, propagate and screen orbital debris clouds (GPU with a NumPy fallback).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "propagate",
        help="propagate TLE/OMM element sets with SGP4 over a time grid",
        description="Propagate every element set of INPUT with SGP4/SDP4 (TEME, km, km/s) over "
        "start..stop every --step seconds and print a summary.",
    )
    p.add_argument("input", nargs="?", help="TLE/3LE or OMM (JSON, XML, CSV, KVN) file")
    p.add_argument("--example", action="store_true", help="use the bundled example catalogue instead of INPUT")
    p.add_argument("--format", choices=("auto", "tle", "omm"), default="auto", help="input format (default: from the file name)")
    p.add_argument("--start", help="first time, ISO 8601 UTC (default: latest epoch in INPUT, to the minute)")
    p.add_argument("--stop", help="last time, ISO 8601 UTC (default: start + 1 day)")
    p.add_argument("--step", type=float, default=60.0, help="step in seconds (default: 60)")
    _backend_option(p)
    p.add_argument("--out", help="write the states to FILE.npz, FILE.csv or FILE.oem (CCSDS OEM, TEME)")
    p.add_argument("--errors", choices=("raise", "skip"), default="raise", help="bad element sets: stop (raise) or skip and report them")
    p.add_argument("--whichconst", choices=("wgs72", "wgs72old", "wgs84"), default="wgs72", help="SGP4 gravity model (default: wgs72)")
    p.add_argument("--opsmode", choices=("i", "a"), default="i", help="SGP4 operation mode: i improved, a AFSPC (default: i)")
    p.add_argument("--strict", action="store_true", help="exit with code 1 when any evaluation carries an SGP4 error code")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_propagate)

    b = sub.add_parser(
        "breakup",
        help="generate a debris cloud with the NASA Standard Breakup Model",
        description="Generate the fragments of a historical event (NASA Standard Breakup Model), print a "
        "summary, and write them (states, sizes, masses) and optionally their SGP4 element sets.",
    )
    b.add_argument("event", choices=EVENTS, help="cosmos1408 (15 Nov 2021 ASAT test) or iridium-cosmos (10 Feb 2009)")
    b.add_argument("--lc-min", type=float, default=0.1, help="smallest characteristic length in m (default: 0.1; >= 0.001)")
    b.add_argument("--seed", type=int, default=0, help="random seed, 0 .. 2**64-1 (default: 0); same seed, same cloud")
    _backend_option(b)
    b.add_argument("--out", help="write the fragments to FILE.npz or FILE.csv")
    b.add_argument("--tle", help="write SGP4 element sets fitted to the fragments to FILE.tle")
    b.add_argument("--first-satnum", type=int, default=None,
                   help="catalogue number of fragment 0 in --tle (default: 270000, Alpha-5 T0000, the analyst "
                        "range that no real object has; see Fragments.to_catalog)")
    b.add_argument("--gabbard", help="write a Gabbard diagram of the fitted element sets to FILE.png (needs matplotlib)")
    b.set_defaults(func=cmd_breakup)

    c = sub.add_parser(
        "bench",
        help="time our kernels against the installed peers, side by side",
        description="Time SGP4 (our backends, python-sgp4 SatrecArray, heyoka when installed), the "
        "breakup model, Cowell propagation and screening on the same inputs in one process; print a table "
        "with ratios; save JSON and a throughput-vs-size plot with --out.",
    )
    c.add_argument("--quick", action="store_true", help="small sizes only (about a minute on a laptop)")
    c.add_argument("--sizes", help="SGP4 object counts, comma-separated (default: 1e3,1e4,1e5[,1e6 on a GPU])")
    c.add_argument("--lc-min", help="breakup sizes as lc_min values in m, comma-separated (default: 0.01,0.003,0.001)")
    _backend_option(c, "auto: every backend this machine has")
    c.add_argument("--repeat", type=int, default=3, help="timed runs per case, best kept (default: 3)")
    c.add_argument("--budget", type=float, default=20.0, help="skip a case predicted to take longer than this many seconds (default: 20)")
    c.add_argument("--out", help="directory for bench-<date>.json and bench-<date>.png")
    c.set_defaults(func=cmd_bench)

    s = sub.add_parser(
        "scenario",
        help="replay the Cosmos 1408 breakup: cloud, ISS screening, flux, decay, report",
        description="Replay the 15 Nov 2021 Cosmos 1408 breakup: generate the cloud, propagate it, screen the "
        "ISS against it, compute the flux on the ISS and the cloud's decay, and write report.md and plots to --out.",
    )
    s.add_argument("name", choices=("cosmos1408",), help="the scenario")
    s.add_argument("--out", required=True, help="directory for report.md, iss_conjunctions.csv and the plots")
    s.add_argument("--lc-min", type=float, default=0.1, help="smallest fragment size in m (default: 0.1)")
    s.add_argument("--days", type=float, default=7.0, help="window after the breakup for screening and flux (default: 7)")
    s.add_argument("--years", type=float, default=5.0, help="length of the decay run, years (default: 5; 0 skips it)")
    s.add_argument("--seed", type=int, default=0, help="random seed of the breakup (default: 0)")
    _backend_option(s)
    s.add_argument("--threshold-km", type=float, default=10.0, help="ISS close-approach threshold, km (default: 10)")
    s.add_argument("--area", type=float, default=1000.0, help="ISS cross-section for expected impacts, m^2 (default: 1000)")
    s.add_argument("--real", help="TLE/3LE or OMM file of catalogued fragments to draw beside the generated cloud")
    s.add_argument("--quiet", action="store_true", help="no progress bars or stage messages")
    s.set_defaults(func=cmd_scenario)

    sc = sub.add_parser(
        "screen",
        help="find close approaches between element sets (one against many, or all against all)",
        description="Screen the element sets of --primary against SECONDARIES (or all of SECONDARIES against "
        "each other with --all) with SGP4 between --start and --stop, print the closest approaches and write "
        "them as CSV/Parquet and CCSDS CDMs.",
    )
    sc.add_argument("secondaries", help="TLE/3LE or OMM file of the secondary objects")
    sc.add_argument("--primary", help="TLE/3LE or OMM file of the primary object(s)")
    sc.add_argument("--all", action="store_true", help="all against all within SECONDARIES")
    sc.add_argument("--start", help="ISO 8601 UTC (default: latest epoch of SECONDARIES, to the minute)")
    sc.add_argument("--stop", help="ISO 8601 UTC (default: start + 1 day)")
    sc.add_argument("--threshold-km", type=float, default=5.0, help="miss-distance threshold, km (default: 5)")
    _backend_option(sc)
    sc.add_argument("--out", help="write the approaches to FILE.csv (SOCRATES-like) or FILE.parquet")
    sc.add_argument("--cdm", help="write one CCSDS CDM per approach into this directory")
    sc.add_argument("--hbr-km", type=float, default=None, help="hard-body radius for the CDMs' probability, km")
    sc.add_argument("--errors", choices=("raise", "skip"), default="raise", help="bad element sets: stop or skip them")
    sc.add_argument("--top", type=int, default=10, help="print the N closest approaches (default: 10)")
    sc.set_defaults(func=cmd_screen)
    return parser


def main(argv=None) -> int:
    from ._backend import BackendUnavailable

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BackendUnavailable as exc:
        print(f"debris-engine: {exc}", file=sys.stderr)
        return EXIT_BACKEND
    except (UserError, ValueError, TypeError, OSError, ImportError) as exc:
        print(f"debris-engine: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("debris-engine: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
