"""The ``debris-engine`` command line.

    debris-engine propagate (INPUT | --example) [--start ISO] [--stop ISO] [--step SECONDS] [--out FILE | --summary-only]
                            [--overwrite]
    debris-engine breakup cosmos1408|iridium-cosmos [--lc-min 0.1] [--seed 0] [--out FILE] [--tle FILE] [--gabbard FILE.png]
    debris-engine screen SECONDARIES (--primary FILE | --all) [--start ISO] [--stop ISO] [--threshold-km 5]
                         [--hbr-km 0.02] [--out FILE] [--cdm DIR]
    debris-engine scenario cosmos1408 --out DIR [--lc-min 0.1] [--days 7] [--years 5] [--seed 0] [--members 12]
                         [--targets FILE|tianhe] [--target-area 10] [--real-satcat FILE.csv]
    debris-engine bench [--quick] [--out DIR]

Each command's --help lists every option (the README's command-line section shows them
all). propagate, screen, scenario and bench draw a progress bar with the time remaining when
stderr is a terminal (engine._progress); --quiet turns it off.

User mistakes (a missing file, a bad element set, a bad option) are reported in one
message and exit code 2, never a traceback. Every output (its directory, permissions,
the optional module its format needs) is checked before any work starts; propagate
also prints its time estimate on stderr first and refuses outputs larger than the
memory or disk they need. Warnings print as "debris-engine: warning: ..." lines. Exit codes: 0 success, 1 the run
finished but some evaluations carry SGP4 error codes and --strict was given, 2 user
error, 3 the requested backend cannot run on this machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import time
import warnings
from importlib import resources

import numpy as np

from . import _backend, bench, cdm, events, scenario
from . import sgp4 as _sgp4
from ._backend import BACKENDS
from ._progress import callback, progress
from .catalog import load_omm, load_tle
from .constants import SECONDS_PER_DAY, SGP4_GRAVITY
from .errors import BackendUnavailable, InsufficientMemoryError
from .errors import BackendUnavailableError, UserError  # defined there; engine.cli.<name> keeps working
from .errors import message as error_message
from .io import oem
from .io import zarr as zstore  # imports zarr itself only when a store is written
from .io.satcat import load_satcat
from .pc import DEFAULT_HBR_KM, PC_THRESHOLDS
from .plots import gabbard  # imports matplotlib itself only when a diagram is drawn
from .screening import screen
from .timeconv import jd_from_datetime64, to_datetime64

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_BACKEND = 0, 1, 2, 3


def _resolve_backend(option: str) -> str:
    """The one place where a command turns its --backend option into a concrete backend.

    Parameters
    ----------
    option : str
        The --backend value: "auto", "numpy", "cuda" or "host".

    Returns
    -------
    str
        "numpy", "cuda" or "host", passed down to the library calls of the command.

    Raises
    ------
    BackendUnavailableError
        The backend asked for cannot run here; the message says why and which option to give
        instead.
    """
    try:
        return _backend.resolve(option)
    except BackendUnavailable as exc:
        instead = "--backend numpy" + (" or leave out --backend (auto)" if option == "cuda" else "")
        raise BackendUnavailableError(f"{exc}; on the command line: {instead}") from None


def _check_output(opt: str, path: str | None, *, ends: tuple[str, ...] = (), directory: bool = False,
                  needs: tuple[tuple[str, str], ...] = ()) -> None:
    """Refuse, before any work starts, an output that cannot be written.

    opt: the option's name for the message ("--out"); ends: allowed file-name endings;
    directory: the output is a directory (created when missing) rather than a file;
    needs: (module, what to do without it) pairs of optional dependencies the output needs.
    """
    if path is None:
        return
    if ends and not path.lower().endswith(ends):
        allowed = f"{', '.join(ends[:-1])} or {ends[-1]}" if len(ends) > 1 else ends[0]
        raise UserError(f"{opt} {path!r}: the file name must end in {allowed}")
    full = os.path.abspath(path)
    if directory:
        if os.path.exists(full) and not os.path.isdir(full):
            raise UserError(f"{opt} {path!r} is an existing file, not a directory: give a directory name "
                            "(it is created when missing)")
        probe = full
        while not os.path.exists(probe):  # makedirs creates the rest under the nearest existing ancestor
            probe = os.path.dirname(probe)
        if not os.path.isdir(probe):
            raise UserError(f"{opt} {path!r}: {probe!r} is a file, so the directory cannot be created")
    else:
        if os.path.isdir(full):
            raise UserError(f"{opt} {path!r} is a directory: give a file name")
        probe = os.path.dirname(full)
        if not os.path.isdir(probe):
            raise UserError(f"{opt} {path!r}: the directory {probe!r} does not exist; create it first")
        if os.path.exists(full) and not os.access(full, os.W_OK):
            raise UserError(f"{opt} {path!r} exists and is not writable: choose another name or fix its permissions")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"{opt} {path!r}: cannot write in {probe!r} (permission denied or read-only file "
                        "system); choose a writable directory")
    for module, instead in needs:
        if importlib.util.find_spec(module) is None:
            raise UserError(f"{opt} {path!r} needs {module}, which is not installed: pip install {module}, "
                            f"or {instead}")


def example_path() -> str:
    """Path of the bundled example catalogue.

    Returns
    -------
    str
        The TLE file shipped inside the package: two real element sets and 998 synthetic
        fragments.
    """
    return str(resources.files("engine") / "data" / "example.tle")


def _load_catalog(path: str, fmt: str, errors: str, whichconst: str, opsmode: str):
    if not os.path.exists(path):
        raise UserError(f"input file {path!r} does not exist")
    if fmt == "auto":
        ext = os.path.splitext(path)[1].lower()
        fmt = "omm" if ext in (".json", ".xml", ".csv", ".kvn", ".omm") else "tle"
    loader = load_omm if fmt == "omm" else load_tle
    return loader(path, errors=errors, whichconst=whichconst, opsmode=opsmode)


def _window(cat, start, stop):
    """--start and --stop as datetime64[us]: by default the latest epoch of cat (to the
    minute) and one day after the start."""
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


_CSV_HEADER = "satnum,name,time_utc,error,x_km,y_km,z_km,vx_km_s,vy_km_s,vz_km_s\n"


def _write_csv_rows(f, cat, iso, sl: slice, e, r, v) -> None:
    """Rows of objects sl (e (k, M), r and v (k, M, 3) for those objects) at times iso (M,) to f."""
    for k, i in enumerate(range(sl.start, sl.stop)):
        name = cat.name[i].replace(",", " ")
        for j in range(len(iso)):
            x = r[k, j]
            w = v[k, j]
            f.write(
                f"{cat.satnum[i]},{name},{iso[j]},{e[k, j]},{x[0]:.9f},{x[1]:.9f},{x[2]:.9f},"
                f"{w[0]:.12f},{w[1]:.12f},{w[2]:.12f}\n"
            )


def _duration(seconds: float) -> str:
    if seconds < 1.0:
        return "under a second"
    if seconds < 120.0:
        return f"{seconds:.0f} s"
    if seconds < 7200.0:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800.0:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / SECONDS_PER_DAY:.1f} days"


def _estimate(cat, times, jd, fr, backend: str, ext: str | None) -> tuple[float, float, str]:
    """Calibrate on a sample: (seconds for the whole run, output bytes, how it was measured).

    Up to 256 objects spread over the catalogue (near-earth and deep-space costs differ)
    x up to 256 times spread over the grid, propagated on `backend` once cold (the
    SGP4 initialisation, which the run also does once per object, and any kernel
    compilation) and then warm; the output format is written from the sample in memory.
    """
    n, m = len(cat), len(times)
    idx = np.unique(np.linspace(0, n - 1, min(n, 256)).round().astype(np.int64))
    jsel = np.unique(np.linspace(0, m - 1, min(m, 256)).round().astype(np.int64))
    sub = cat[idx]
    pairs = idx.size * jsel.size
    t0 = time.perf_counter()
    e, r, v = sub.sgp4(jd[jsel], fr[jsel], backend=backend, to_host=True)
    cold = time.perf_counter() - t0
    reps, t0 = 0, time.perf_counter()
    while True:  # warm runs until 50 ms have passed, so that timer resolution does not matter
        sub.sgp4(jd[jsel], fr[jsel], backend=backend, to_host=True)
        reps += 1
        warm = (time.perf_counter() - t0) / reps
        if reps * warm > 0.05 or reps >= 20:
            break
    per_eval = warm / pairs
    # cuda's cold run also compiles the kernels (once per machine), not a per-object cost
    per_init = max(0.0, cold - warm) / idx.size if backend == "numpy" else 0.0
    e, r, v = np.asarray(e), np.asarray(r), np.asarray(v)
    per_write, per_byte, what = 0.0, 0.0, ""
    t0 = time.perf_counter()
    if ext == ".csv":
        buf = io.StringIO()
        _write_csv_rows(buf, sub, np.datetime_as_string(times[jsel], unit="us"), slice(0, idx.size), e, r, v)
        nbytes = len(buf.getvalue().encode())
        what = "CSV"
    elif ext == ".npz":
        bio = io.BytesIO()
        np.savez_compressed(bio, e=e, r_km=r, v_km_s=v)
        nbytes = bio.getbuffer().nbytes
        what = "NPZ"
    elif ext == ".zarr":
        per_byte = 1 + 48  # e, r, v uncompressed: an upper bound (the store's zstd saves some)
    elif ext == ".oem":
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "calibration.oem")
            oem.write(p, sub, times[jsel], r, v, e=e)
            nbytes = os.path.getsize(p)
        what = "OEM"
    if what:
        per_write = (time.perf_counter() - t0) / pairs
        per_byte = nbytes / pairs
    seconds = n * per_init + n * m * (per_eval + per_write)
    how = (f"SGP4 {per_eval * 1e6:.3g} us per evaluation"
           + (f" + {what} {per_write * 1e6:.3g} us per row" if what else "")
           + f", measured on {idx.size} objects x {jsel.size} times")
    return seconds, n * m * per_byte, how


def _size(nbytes: float) -> str:
    return f"{nbytes / 2**30:,.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:,.1f} MiB"


#: without --out the states are discarded; a longer run needs --summary-only
MAX_DISCARDED_SECONDS = 60.0


def cmd_propagate(args) -> int:
    """``debris-engine propagate``: SGP4 states of every element set over a time grid.

    Parameters
    ----------
    args : argparse.Namespace
        input or example, format, errors, whichconst, opsmode, start, stop (ISO 8601 UTC),
        step (s), backend, out (.npz/.csv/.oem/.zarr) or summary_only, overwrite, strict, quiet.

    Returns
    -------
    int
        EXIT_OK, or EXIT_ERRORS when --strict is given and some evaluations carry SGP4
        error codes.

    Raises
    ------
    UserError
        A bad option, input or output, refused before any work starts.
    """
    if args.example and args.input:
        raise UserError("give either INPUT or --example, not both")
    if not args.example and not args.input:
        raise UserError("give an INPUT file of TLE or OMM element sets, or --example for the bundled catalogue")
    path = example_path() if args.example else args.input
    out = args.out
    ext = None if out is None else os.path.splitext(out.rstrip("/\\"))[1].lower()
    if ext == ".zarr":  # a directory store, streamed chunk by chunk (engine.io.zarr)
        out = out.rstrip("/\\")
        _check_output("--out", out, directory=True,
                      needs=(("zarr", "write .csv (also streamed) instead"),))
        if os.path.exists(out) and not args.overwrite:
            raise UserError(f"--out {out!r} exists: give --overwrite to replace it, or another name")
    else:
        _check_output("--out", out, ends=(".npz", ".csv", ".oem", ".zarr"))
    if out is not None and args.summary_only:
        raise UserError("give either --out FILE or --summary-only, not both")
    backend = _resolve_backend(args.backend)
    cat = _load_catalog(path, args.format, args.errors, args.whichconst, args.opsmode)
    if len(cat) == 0:
        raise UserError(f"{path!r} holds no element sets")
    times = _time_grid(cat, args.start, args.stop, args.step)
    n, m = len(cat), len(times)
    keep = ext in (".npz", ".oem")  # written from arrays held whole; .csv is streamed
    jd, fr = jd_from_datetime64(times)

    # everything that can be known before the run is checked before it
    # Objects are propagated in blocks so that memory stays bounded (4e6 states) and progress
    # is visible (about 40 reports; blocks of 256 objects or more keep per-call overhead small).
    block = max(1, min(n, 4_000_000 // max(m, 1), max(256, -(-n // 40))))
    if keep:
        try:
            # the whole (e, r, v) plus one block's outputs and its tsince arrays (engine.sgp4)
            _sgp4.check_memory(n, m, 1 + 48, what=f"propagate --out {out}",
                               extra_bytes=block * m * (1 + 48 + 16))
        except InsufficientMemoryError as exc:
            raise UserError(
                f"{n:,} objects x {m:,} times would need {_size(exc.need_bytes)} of memory for {ext} output "
                f"(held whole before writing), {_size(exc.available_bytes)} is available; use .csv output "
                "(streamed), a larger --step or a shorter --start/--stop window, or fewer objects"
            ) from None
    seconds, out_bytes, how = _estimate(cat, times, jd, fr, backend, ext)
    if not args.quiet:   # the estimate is information, like the bar; refusals below still speak
        print(f"debris-engine propagate: {n:,} objects x {m:,} times = {n * m:,} evaluations on {backend}; "
              f"estimated {_duration(seconds)}" + (f", {_size(out_bytes)} to write" if out else "")
              + f" ({how})", file=sys.stderr)
    if out is None and not args.summary_only and seconds > MAX_DISCARDED_SECONDS:
        raise UserError(
            f"without --out the {n * m:,} states (estimated {_duration(seconds)}) would be computed and "
            "discarded, only a summary printed: give --out FILE.csv to stream them to disk, fewer times "
            "(a larger --step or a shorter --start/--stop window) or objects, or --summary-only to run "
            "for the summary anyway"
        )
    if out is not None:
        free = shutil.disk_usage(os.path.dirname(os.path.abspath(out))).free
        if os.path.isfile(out):
            free += os.path.getsize(out)  # overwritten
        if out_bytes > free:
            raise UserError(
                f"--out {out!r}: about {_size(out_bytes)} to write, {_size(free)} free on its file system; "
                "choose another disk, a larger --step, a shorter --start/--stop window or fewer objects"
            )

    counts = np.zeros(256, dtype=np.int64)
    bad_objects = np.zeros(256, dtype=np.int64)
    alt_min, alt_max, alt_medians = np.inf, -np.inf, []
    if keep:
        e_all = np.empty((n, m), np.uint8)
        r_all = np.empty((n, m, 3))
        v_all = np.empty((n, m, 3))
    radius = SGP4_GRAVITY[cat.whichconst].radiusearthkm
    csv_file = open(out, "w", encoding="utf-8") if ext == ".csv" else None
    store = None
    if ext == ".zarr":
        # object chunks = the blocks below, so each block writes whole chunks of its own
        store = zstore.create(out, satnum=cat.satnum, name=cat.name, jd=jd, fr=fr,
                              chunks=(block, min(m, 1440)), overwrite=args.overwrite,
                              attrs={"whichconst": cat.whichconst, "opsmode": cat.opsmode})
    iso = np.datetime_as_string(times, unit="us")
    bar = progress(n, "propagate", "objects", enabled=not args.quiet)
    t0, t_write = time.perf_counter(), 0.0
    try:
        if csv_file is not None:
            csv_file.write(_CSV_HEADER)
        for a in range(0, n, block):
            sl = slice(a, min(a + block, n))
            e, r, v = cat[sl].sgp4(jd, fr, backend=backend, to_host=True)
            e, r, v = np.asarray(e), np.asarray(r), np.asarray(v)
            counts += np.bincount(e.ravel(), minlength=256)
            for code in np.unique(e):
                bad_objects[code] += int(np.any(e == code, axis=1).sum())
            alt = np.linalg.norm(r, axis=-1) - radius
            # objects with no finite position at any time (error codes 1-5) have no median
            alive = np.isfinite(alt).any(axis=1)
            if alive.any():
                alt_min = min(alt_min, float(np.nanmin(alt[alive])))
                alt_max = max(alt_max, float(np.nanmax(alt[alive])))
                alt_medians.append(np.nanmedian(alt[alive], axis=1))
            if keep:
                e_all[sl], r_all[sl], v_all[sl] = e, r, v
            elif csv_file is not None:
                tw = time.perf_counter()
                _write_csv_rows(csv_file, cat, iso, sl, e, r, v)
                t_write += time.perf_counter() - tw
            elif store is not None:
                tw = time.perf_counter()
                zstore.write_block(store, sl, slice(0, m), e, r, v)
                t_write += time.perf_counter() - tw
            bar.update(sl.stop - sl.start)
    finally:
        bar.close()
        if csv_file is not None:
            csv_file.close()
    elapsed = time.perf_counter() - t0 - t_write  # the propagation's own time, as for .npz and .oem
    if store is not None:
        zstore.mark_complete(store)
    if ext == ".oem":
        oem.write(out, cat, times, r_all, v_all, e=e_all)
    elif keep:
        np.savez_compressed(
            out, satnum=cat.satnum, name=cat.name.astype(str), times_utc=times, jd=jd, fr=fr,
            e=e_all, r_km=r_all, v_km_s=v_all, frame=np.array("TEME"),
        )

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
            f"{error_message(code)}"
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
    """``debris-engine breakup``: one of the bundled events' fragments, summarised and written.

    Parameters
    ----------
    args : argparse.Namespace
        event, lc_min (m), seed, backend, out (.npz/.csv), tle, gabbard (.png), first_satnum.

    Returns
    -------
    int
        EXIT_OK once the summary is printed and the outputs written.

    Raises
    ------
    UserError
        An output that cannot be written (or --gabbard without matplotlib), before the breakup runs.
    BackendUnavailableError
        --backend names a backend this machine cannot run.
    """
    _check_output("--out", args.out, ends=(".npz", ".csv"))
    _check_output("--tle", args.tle, ends=(".tle", ".txt"))
    _check_output("--gabbard", args.gabbard, ends=(".png",),
                  needs=(("matplotlib", "leave out --gabbard"),))
    backend = _resolve_backend(args.backend)
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
    """``debris-engine bench``: the benchmark table of engine.bench on this machine.

    With --backend auto every backend that runs here is timed side by side (numpy, and cuda
    where a device answers); another --backend times that one alone.

    Parameters
    ----------
    args : argparse.Namespace
        quick, sizes, lc_min (comma-separated numbers), repeat, budget (s), out (a directory
        for the JSON record and the PNG plot), backend, quiet.

    Returns
    -------
    int
        EXIT_OK once the table is printed.

    Raises
    ------
    UserError
        Sizes that are not positive numbers, or an --out directory that cannot be written.
    """
    if args.backend == "auto":   # every backend that runs here, side by side
        backends = ["numpy"] + (["cuda"] if _backend.cuda_status()[0] else [])
    else:
        backends = [_resolve_backend(args.backend)]
    if args.quick:
        sizes, n_times, lcs = [1e3, 1e4], 144, [0.01]
    else:
        sizes, n_times, lcs = [1e3, 1e4, 1e5] + ([1e6] if "cuda" in backends else []), 1440, [0.01, 0.003, 0.001]
    if args.sizes:
        sizes = _sizes(args.sizes, "--sizes")
    if args.lc_min:
        lcs = _sizes(args.lc_min, "--lc-min")
    _check_output("--out", args.out, directory=True)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    print(f"debris-engine bench: backends {', '.join(backends)}; CPU {_backend.cpu_name()}"
          + (f"; GPU {_backend.device_name('cuda')}" if "cuda" in backends else "; no GPU"))
    small = [int(n) for n in sizes if n <= 1e4] or [int(min(sizes))]
    cases = (bench.sgp4_cases([int(n) for n in sizes], n_times, backends) + bench.breakup_cases(lcs, backends)
             + bench.cowell_cases([min(n, 2000) for n in small], backends) + bench.screen_cases(small, backends))
    with progress(len(cases), "bench", "cases", enabled=not args.quiet) as bar:
        # lines through the bar, so that it is redrawn below them rather than through them
        records = bench.run(cases, repeat=args.repeat, budget_s=args.budget,
                            log=lambda m: bar.write(m, file=sys.stdout), progress=callback(bar))
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
    """``debris-engine screen``: close approaches, their Pc, CSV/Parquet and CDM output.

    Parameters
    ----------
    args : argparse.Namespace
        secondaries, primary or all, start, stop (ISO 8601 UTC), threshold_km, hbr_km (km),
        backend, out (.csv/.parquet), cdm (a directory), errors, top, quiet.

    Returns
    -------
    int
        EXIT_OK once the closest approaches are printed and the outputs written.

    Raises
    ------
    UserError
        Neither or both of --primary and --all, a missing input, or an output that cannot be
        written (Parquet without pyarrow), before the screening runs.
    """
    if args.hbr_km is None:
        args.hbr_km = DEFAULT_HBR_KM
    parquet = (args.out or "").lower().endswith(".parquet")
    _check_output("--out", args.out, ends=(".csv", ".parquet"), needs=(("pyarrow", "write .csv"),) if parquet else ())
    _check_output("--cdm", args.cdm, directory=True)
    if args.all == (args.primary is not None):
        raise UserError("give either --primary FILE (one against many) or --all (all against all)")
    sec = _load_catalog(args.secondaries, "auto", args.errors, "wgs72", "i")
    pri = None if args.all else _load_catalog(args.primary, "auto", args.errors, "wgs72", "i")
    start, stop = (str(np.datetime_as_string(x, unit="s")) for x in _window(sec, args.start, args.stop))
    backend = _resolve_backend(args.backend)
    t0 = time.perf_counter()
    with warnings.catch_warnings(), progress(0, "screen", "samples", enabled=not args.quiet) as bar:
        warnings.simplefilter("ignore", RuntimeWarning)   # excluded objects are printed below
        conj = screen(pri, sec, start, stop, threshold_km=args.threshold_km, hbr_km=args.hbr_km, backend=backend,
                      progress=callback(bar))
    elapsed = time.perf_counter() - t0
    what = "all against all" if pri is None else f"{len(pri)} against {len(sec)}"
    print(f"debris-engine screen: {what} objects, {start} .. {stop} UTC, threshold {args.threshold_km:g} km, "
          f"backend {backend} ({_backend.device_name(backend)}), {elapsed:.2f} s")
    print(f"  close approaches   {len(conj):,}")
    print(f"  Pc                 {conj.pc_method} 2D, hard-body radius {args.hbr_km * 1e3:g} m, covariances "
          "ASSUMED (element sets carry none; engine.pc.default_covariance)")
    if len(conj):
        print("  above Pc levels    " + "; ".join(
            f"{level:.0e} ({label}): {int(np.sum(np.nan_to_num(conj.pc, nan=-1.0) > level))}"
            for level, label, _ in PC_THRESHOLDS))
        c = conj.sort("miss_km")
        for k in range(min(len(c), args.top)):
            print(f"    {np.datetime_as_string(c.tca[k], unit='ms')}  {int(c.primary_satnum[k]):>6d} "
                  f"{int(c.secondary_satnum[k]):>6d}  {c.miss_km[k]:8.3f} km  {c.vrel_kms[k]:6.3f} km/s  "
                  f"Pc {c.pc[k]:.2e}" + (f"  [{c.pc_flag_text(k)}]" if c.pc_flag_text(k) else ""))
        if np.isfinite(conj.pc).any():
            k = int(np.nanargmax(conj.pc))
            print(f"  largest Pc         {conj.pc[k]:.2e}: {np.datetime_as_string(conj.tca[k], unit='ms')}  "
                  f"{int(conj.primary_satnum[k])} {int(conj.secondary_satnum[k])}  {conj.miss_km[k]:.3f} km")
    if len(conj.excluded):
        print(f"  excluded           {len(conj.excluded)} objects at some times (SGP4 error codes)")
    if args.out:
        (conj.to_csv if args.out.lower().endswith(".csv") else conj.to_parquet)(args.out)
        print(f"  written            {args.out}")
    if args.cdm:
        files = cdm.write_conjunctions(conj, args.cdm)   # Pc and radius from the table
        print(f"  written            {len(files)} CDMs in {args.cdm}")
    return EXIT_OK


def cmd_scenario(args) -> int:
    """``debris-engine scenario``: the whole Cosmos 1408 study (engine.scenario.cosmos1408).

    Parameters
    ----------
    args : argparse.Namespace
        out (a directory), lc_min (m), days, years, seed, members, targets, target_area (m^2),
        real, real_satcat (CSV), threshold_km, area, backend, quiet.

    Returns
    -------
    int
        EXIT_OK once the summary is printed; the files are listed after it.

    Raises
    ------
    UserError
        --members below 1, a target area that is not a positive number, a missing SATCAT
        file, or an --out directory that cannot be written.
    """
    _check_output("--out", args.out, directory=True)
    if args.members < 1:
        raise UserError(f"--members must be at least 1 (ensemble size), got {args.members}")
    if not (np.isfinite(args.target_area) and args.target_area > 0):
        raise UserError(f"--target-area must be a positive cross-section in m^2, got {args.target_area}")
    real = targets = satcat = None
    if args.real:
        real = _load_catalog(args.real, "auto", "skip", "wgs72", "i")
    if args.targets:
        if args.targets in events.TARGET_PRESETS and not os.path.exists(args.targets):
            targets = events.TARGET_PRESETS[args.targets]()   # a preset's public element set
        else:
            targets = _load_catalog(args.targets, "auto", "skip", "wgs72", "i")   # bad element sets reported, the rest kept
    if args.real_satcat:
        if not os.path.exists(args.real_satcat):
            raise UserError(f"--real-satcat file {args.real_satcat!r} does not exist")
        satcat = load_satcat(args.real_satcat, errors="skip")
    backend = _resolve_backend(args.backend)
    t0 = time.perf_counter()
    res = scenario.cosmos1408(lc_min=args.lc_min, days=args.days, seed=args.seed, backend=backend,
                              out=args.out, threshold_km=args.threshold_km, years=args.years,
                              area_m2=args.area, real_cloud=real, quiet=args.quiet, members=args.members,
                              targets=targets, target_area_m2=args.target_area, real_satcat=satcat,
                              log=(lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr)))
    print(f"debris-engine scenario cosmos1408: done in {time.perf_counter() - t0:.1f} s, backend {res.conjunctions.backend}")
    print(res.summary())
    for f in res.files:
        print(f"  written            {f}")
    return EXIT_OK


def _backend_option(parser, help_text: str = "compute backend (default: auto)") -> None:
    """The --backend option every command shares: auto, numpy, cuda, or host (the CUDA
    kernels on the CPU, engine/_hostexec.py; never chosen by auto)."""
    parser.add_argument("--backend", choices=BACKENDS, default="auto", help=help_text)


def build_parser() -> argparse.ArgumentParser:
    """The ``debris-engine`` argument parser, one sub-command per command.

    Returns
    -------
    argparse.ArgumentParser
        Its sub-commands set ``func`` to the cmd_* function that runs them.
    """
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
    p.add_argument("--out", help="write the states to FILE.npz, FILE.csv, FILE.oem (CCSDS OEM, TEME) or "
                   "DIR.zarr (chunk by chunk, for outputs larger than memory; needs zarr)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out DIR.zarr store")
    p.add_argument("--errors", choices=("raise", "skip"), default="raise", help="bad element sets: stop (raise) or skip and report them")
    p.add_argument("--whichconst", choices=("wgs72", "wgs72old", "wgs84"), default="wgs72", help="SGP4 gravity model (default: wgs72)")
    p.add_argument("--opsmode", choices=("i", "a"), default="i", help="SGP4 operation mode: i improved, a AFSPC (default: i)")
    p.add_argument("--strict", action="store_true", help="exit with code 1 when any evaluation carries an SGP4 error code")
    p.add_argument("--quiet", action="store_true", help="no progress bar (drawn only on a terminal anyway)")
    p.add_argument("--summary-only", action="store_true",
                   help="without --out, run even when the states (then discarded) take over "
                   f"{MAX_DISCARDED_SECONDS:.0f} s to compute; only the summary is printed")
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
    c.add_argument("--quiet", action="store_true", help="no progress bar (drawn only on a terminal anyway)")
    c.set_defaults(func=cmd_bench)

    s = sub.add_parser(
        "scenario",
        help="replay the Cosmos 1408 breakup: cloud, ISS screening, risk over time with bands, report",
        description="Replay the 15 Nov 2021 Cosmos 1408 breakup as an ensemble over seeds and the interceptor "
        "assumptions: generate the clouds, screen the ISS against member 0's for a week, decay every member, "
        "compute the risk each adds to the ISS and to --targets over the cloud's life, and write report.html, "
        "summary.json, CSVs, report.md and figures to --out.",
    )
    s.add_argument("name", choices=("cosmos1408",), help="the scenario")
    s.add_argument("--out", required=True, help="directory for report.html, summary.json, the CSVs and figures")
    s.add_argument("--lc-min", type=float, default=0.1, help="smallest fragment size in m (default: 0.1)")
    s.add_argument("--days", type=float, default=7.0, help="window after the breakup for screening and flux (default: 7)")
    s.add_argument("--years", type=float, default=5.0, help="length of the decay run, years (default: 5; 0 skips it)")
    s.add_argument("--seed", type=int, default=0, help="random seed of the breakup (default: 0)")
    _backend_option(s)
    s.add_argument("--threshold-km", type=float, default=10.0, help="ISS close-approach threshold, km (default: 10)")
    s.add_argument("--area", type=float, default=1000.0, help="ISS cross-section for expected impacts, m^2 (default: 1000)")
    s.add_argument("--real", help="TLE/3LE or OMM file of catalogued fragments to draw beside the generated cloud")
    s.add_argument("--members", type=int, default=12,
                   help="ensemble members: seeds and interceptor assumptions within their documented ranges "
                   "(default: 12; member 0 = seed and central assumptions)")
    s.add_argument("--targets", help="TLE/3LE or OMM file of further targets, ranked with the ISS by the cloud's risk, "
                                     f"or a preset: {', '.join(events.TARGET_PRESETS)} (engine.events)")
    s.add_argument("--target-area", type=float, default=10.0,
                   help="cross-section of each --targets spacecraft, m^2 (default: 10)")
    s.add_argument("--real-satcat", help="CelesTrak SATCAT CSV of the real fragments: their decay drawn beside "
                   "the simulated one")
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
    sc.add_argument("--hbr-km", type=float, default=None,
                    help="combined hard-body radius of the two objects for the probability of collision (PC "
                    "columns of --out, the CDMs, the printed table), km (default: 0.02, i.e. 20 m, the radius "
                    "NASA CARA's test conjunctions use for large payloads; the ISS's is 0.0661)")
    sc.add_argument("--errors", choices=("raise", "skip"), default="raise", help="bad element sets: stop or skip them")
    sc.add_argument("--top", type=int, default=10, help="print the N closest approaches (default: 10)")
    sc.add_argument("--quiet", action="store_true", help="no progress bar (drawn only on a terminal anyway)")
    sc.set_defaults(func=cmd_screen)
    return parser


def main(argv=None) -> int:
    """Run the ``debris-engine`` command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program's name (default: sys.argv[1:]).

    Returns
    -------
    int
        The exit code: EXIT_OK (0), EXIT_ERRORS (1, --strict with SGP4 error codes),
        EXIT_USAGE (2, a user error, printed as one line) or EXIT_BACKEND (3, the requested
        backend cannot run on this machine).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        # every warning of every command as "debris-engine: warning: ...", without Python's
        # file:line prefix and echoed source line
        warnings.showwarning = _show_warning
        try:
            return args.func(args)
        except (BackendUnavailable, BackendUnavailableError) as exc:
            print(f"debris-engine: {exc}", file=sys.stderr)
            return EXIT_BACKEND
        except (UserError, ValueError, TypeError, OSError, ImportError, InsufficientMemoryError) as exc:
            print(f"debris-engine: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("debris-engine: interrupted", file=sys.stderr)
            return 130


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """warnings.showwarning for the command line: the message alone, on stderr."""
    print(f"debris-engine: warning: {message}", file=sys.stderr if file is None else file)


if __name__ == "__main__":
    sys.exit(main())
