"""engine.Conjunctions: the table of closest approaches that engine.screen returns.

Host NumPy arrays, one row per event, with CSV / Parquet writers and the probability of
collision as optional columns (with_pc, computed by engine.pc).
"""

from __future__ import annotations

import csv

import numpy as np

from .. import _backend
from .. import pc as pcmod

_EXCLUDED_DTYPE = np.dtype([("role", "U9"), ("index", np.int64), ("satnum", np.int64),
                            ("code", np.uint8), ("n_samples", np.int64),
                            ("first_time", "datetime64[us]")])


class Conjunctions:
    """Closest approaches as a struct of arrays (K events), host NumPy arrays.

    Per event (K,):
        primary, secondary           int64 indices in the primary / secondary catalogue (the
                                     one catalogue for all-vs-all, primary < secondary)
        primary_satnum, secondary_satnum  int64 catalogue (NORAD) numbers
        primary_name, secondary_name str object names ('' when the catalogue has none)
        tca                          datetime64[us] time of closest approach, UTC
        tca_jd, tca_fr               float64 the same as a split Julian date (sub-us precision)
        miss_km                      float64 miss distance, km
        vrel_kms                     float64 relative speed at TCA, km/s
        miss_r_km, miss_t_km, miss_n_km  float64 secondary - primary position in the primary's
                                     RTN frame (R = r/|r|, N = r x v/|r x v|, T = N x R), km
        approach_angle_deg           float64 angle between the two velocity vectors, deg
        r_primary, v_primary, r_secondary, v_secondary  (K, 3) float64 TEME states at TCA,
                                     km and km/s
        dse_primary, dse_secondary   float64 days since each element set's epoch at TCA
    Probability of collision (present after :meth:`with_pc`, or screen(..., hbr_km=...);
    None before):
        pc                           float64 2D probability of collision (engine.pc.foster)
        pc_flags                     uint8 bit field of engine.pc.FLAGS (SLOW, LONG, OFFSET:
                                     the 2D method's assumptions are doubtful; NPD;
                                     ASSUMED_COVARIANCE)
        hbr_km                       float64 combined hard-body radius used, km
        covariance_assumed           bool, True where a covariance is an assumed default
                                     (element sets carry none), not an estimate
    and the metadata pc_method (CCSDS COLLISION_PROBABILITY_METHOD text, "FOSTER-1992").
    Screening metadata: threshold_km, start, stop (datetime64[us]), step_s, capture_radius_km,
    max_speed_kms, backend, excluded (structured array: role, index, satnum, code,
    n_samples, first_time of objects SGP4 could not propagate at some samples).

    Parameters
    ----------
    **fields
        Every name of FIELDS as an array of K rows; optionally all of PC_FIELDS (or none),
        and the metadata of META.

    Raises
    ------
    ValueError
        For a missing or unknown field, a field of another length, or probability fields
        given in part.

    Notes
    -----
    Host NumPy arrays on every backend: a table is assembled from the refinement on the
    host (a few values per event), and its writers (CSV, Parquet, CDM) read host memory.
    """

    FIELDS = ("primary", "secondary", "primary_satnum", "secondary_satnum", "primary_name",
              "secondary_name", "tca", "tca_jd", "tca_fr", "miss_km", "vrel_kms", "miss_r_km",
              "miss_t_km", "miss_n_km", "approach_angle_deg", "r_primary", "v_primary",
              "r_secondary", "v_secondary", "dse_primary", "dse_secondary")
    #: per-event probability-of-collision fields: all present (with_pc) or all None
    PC_FIELDS = ("pc", "pc_flags", "hbr_km", "covariance_assumed")
    META = ("threshold_km", "start", "stop", "step_s", "capture_radius_km", "max_speed_kms",
            "backend", "excluded", "pc_method")

    #: SOCRATES-like CSV columns (the first nine as in CelesTrak's SOCRATES CSV)
    CSV_COLUMNS = ("NORAD_CAT_ID_1", "OBJECT_NAME_1", "DSE_1", "NORAD_CAT_ID_2", "OBJECT_NAME_2",
                   "DSE_2", "TCA", "TCA_RANGE", "TCA_RELATIVE_SPEED", "TCA_RANGE_R", "TCA_RANGE_T",
                   "TCA_RANGE_N", "APPROACH_ANGLE")

    def __init__(self, **fields):
        missing = [k for k in self.FIELDS if k not in fields]
        unknown = sorted(set(fields) - set(self.FIELDS) - set(self.PC_FIELDS) - set(self.META))
        if missing or unknown:
            raise ValueError(f"Conjunctions: missing fields {missing}, unknown fields {unknown}")
        given = [k for k in self.PC_FIELDS if fields.get(k) is not None]
        if given and len(given) != len(self.PC_FIELDS):
            raise ValueError(f"Conjunctions: probability fields {given} given without "
                             f"{[k for k in self.PC_FIELDS if k not in given]}; give all of "
                             f"{self.PC_FIELDS} (Conjunctions.with_pc does) or none")
        n = len(fields["miss_km"])
        for k in self.FIELDS + (self.PC_FIELDS if given else ()):
            a = np.asarray(fields[k])
            if a.shape[:1] != (n,):
                raise ValueError(f"Conjunctions: field {k} has shape {a.shape}, expected ({n}, ...)")
            setattr(self, k, a)
        if not given:
            for k in self.PC_FIELDS:
                setattr(self, k, None)
        for k in self.META:
            setattr(self, k, fields.get(k))
        if self.excluded is None:
            self.excluded = np.zeros(0, _EXCLUDED_DTYPE)

    def __len__(self) -> int:
        return len(self.miss_km)

    def __getitem__(self, key) -> "Conjunctions":
        """Rows by int, slice, boolean mask or index array; always a Conjunctions."""
        if isinstance(key, (int, np.integer)):
            n = len(self)
            if not -n <= key < n:
                raise IndexError(f"index {key} is out of range for {n} conjunctions")
            key = slice(key % n, key % n + 1)
        return Conjunctions(**{k: getattr(self, k)[key] for k in self._fields()},
                            **{k: getattr(self, k) for k in self.META})

    @property
    def has_pc(self) -> bool:
        """True when the table carries the probability-of-collision fields (with_pc)."""
        return self.pc is not None

    def _fields(self) -> tuple:
        return self.FIELDS + (self.PC_FIELDS if self.has_pc else ())

    def sort(self, by: str = "miss_km") -> "Conjunctions":
        """A copy sorted by one field (stable).

        Parameters
        ----------
        by : str
            A per-event field (default "miss_km": closest first). by="pc" sorts by
            probability, smallest first: use sort("pc")[::-1] for the largest.

        Returns
        -------
        Conjunctions

        Raises
        ------
        ValueError
            For a name that is not a per-event field of this table.
        """
        if by not in self._fields() or getattr(self, by).ndim != 1:
            raise ValueError(f"sort: by={by!r} is not a per-event field; use one of "
                             "'miss_km', 'tca', 'vrel_kms', 'primary_satnum', ... ('pc' after with_pc)")
        return self[np.argsort(getattr(self, by), kind="stable")]

    def with_pc(self, hbr_km, *, cov_primary=None, cov_secondary=None, backend: str = "auto") -> "Conjunctions":
        """A copy carrying the 2D probability of collision of every event.

        Method: engine.pc.foster (Foster & Estes 1992), see engine.pc.for_conjunctions.

        Parameters
        ----------
        hbr_km : float or ndarray, (K,)
            Combined hard-body radius of the two objects, km.
        cov_primary, cov_secondary : ndarray or None
            (3, 3), (6, 6), (K, 3, 3) or (K, 6, 6) position(-velocity) covariances, km^2,
            in the TEME frame of the table's states. None (default): element sets carry no
            covariance, so each object gets engine.pc.default_covariance for its |days since
            epoch| at TCA, and the events are marked covariance_assumed (flag
            ASSUMED_COVARIANCE).
        backend : {"auto", "numpy", "cuda", "host"}
            Where the Pc is computed; the columns come back as host arrays, like the rest
            of the table.

        Returns
        -------
        Conjunctions
            With the fields pc (K,) float64, pc_flags (K,) uint8, hbr_km (K,) km,
            covariance_assumed (K,) bool and the metadata pc_method.

        Raises
        ------
        ValueError
            Naming the field and the rows when an input is bad, before any work.
        """
        res = pcmod.for_conjunctions(self, hbr_km, cov_primary=cov_primary, cov_secondary=cov_secondary,
                                     backend=backend)
        flags = _backend.to_host(res.flags).astype(np.uint8)
        hbr = np.broadcast_to(np.asarray(hbr_km, dtype=np.float64), (len(self),)).copy()
        return Conjunctions(**{k: getattr(self, k) for k in self.FIELDS},
                            pc=np.asarray(_backend.to_host(res.pc), dtype=np.float64), pc_flags=flags,
                            hbr_km=hbr, covariance_assumed=(flags & pcmod.FLAG_ASSUMED_COVARIANCE) != 0,
                            **{k: getattr(self, k) for k in self.META if k != "pc_method"},
                            pc_method=res.method)

    def pc_flag_text(self, i: int) -> str:
        """Names of the engine.pc flags of event i joined by '|' ('' when none).

        Parameters
        ----------
        i : int
            Row.

        Returns
        -------
        str
            E.g. 'LONG|ASSUMED_COVARIANCE'.
        """
        f = int(self.pc_flags[i])
        return "|".join(name for bit, (name, _) in pcmod.FLAGS.items() if f & bit)

    def to_dict(self) -> dict:
        """Per-event fields as a dict of arrays.

        Returns
        -------
        dict of str to ndarray, (K,)
            3-vectors split into _x, _y, _z columns; with the probability fields, also
            pc_method (text) for every event.
        """
        out = {}
        for k in self._fields():
            a = getattr(self, k)
            if a.ndim == 2:
                for c, ax in enumerate("xyz"):
                    out[f"{k}_{ax}"] = a[:, c]
            else:
                out[k] = a
        if self.has_pc:
            out["pc_method"] = np.full(len(self), self.pc_method)
        return out

    #: columns added by the probability fields (with_pc)
    CSV_PC_COLUMNS = ("PC", "PC_METHOD", "HBR", "COVARIANCE", "PC_FLAGS")

    def to_csv(self, path) -> None:
        """Write a SOCRATES-like CSV, one row per event.

        Columns: NORAD_CAT_ID_1, OBJECT_NAME_1, DSE_1 (days since epoch), the same for
        object 2, TCA ('YYYY-MM-DD hh:mm:ss.sss' UTC), TCA_RANGE (km), TCA_RELATIVE_SPEED
        (km/s), then TCA_RANGE_R/T/N (km, primary's RTN frame) and APPROACH_ANGLE (deg).
        Object 1 is the primary. With the probability fields (with_pc) also PC (7
        significant digits), PC_METHOD (e.g. FOSTER-1992), HBR (combined hard-body radius,
        km), COVARIANCE ('ASSUMED': engine.pc.default_covariance, or 'GIVEN') and PC_FLAGS
        (engine.pc.FLAGS names joined by '|').

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (UTF-8).
        """
        tca = np.datetime_as_string(self.tca.astype("datetime64[ms]"), unit="ms")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(self.CSV_COLUMNS + (self.CSV_PC_COLUMNS if self.has_pc else ()))
            for n in range(len(self)):
                row = [int(self.primary_satnum[n]), self.primary_name[n], f"{self.dse_primary[n]:.3f}",
                       int(self.secondary_satnum[n]), self.secondary_name[n],
                       f"{self.dse_secondary[n]:.3f}", tca[n].replace("T", " "),
                       f"{self.miss_km[n]:.3f}", f"{self.vrel_kms[n]:.3f}", f"{self.miss_r_km[n]:.3f}",
                       f"{self.miss_t_km[n]:.3f}", f"{self.miss_n_km[n]:.3f}",
                       f"{self.approach_angle_deg[n]:.2f}"]
                if self.has_pc:
                    row += [f"{self.pc[n]:.6e}", self.pc_method, f"{self.hbr_km[n]:.6g}",
                            "ASSUMED" if self.covariance_assumed[n] else "GIVEN", self.pc_flag_text(n)]
                w.writerow(row)

    def to_parquet(self, path) -> None:
        """Write every per-event field (to_dict columns) to a Parquet file.

        Parameters
        ----------
        path : str or os.PathLike

        Raises
        ------
        ImportError
            When pyarrow (an optional dependency) is not installed.
        """
        try:  # optional dependency
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise ImportError("Conjunctions.to_parquet needs pyarrow: pip install pyarrow "
                              "(or use to_csv)") from exc
        pq.write_table(pa.table({k: pa.array(v) for k, v in self.to_dict().items()}), path)

    def __repr__(self) -> str:
        n = len(self)
        s = f"Conjunctions({n} event{'s' if n != 1 else ''}"
        if n:
            s += f", miss {self.miss_km.min():.3f}..{self.miss_km.max():.3f} km"
        if n and self.has_pc:
            top = np.nanmax(self.pc) if np.isfinite(self.pc).any() else float("nan")
            s += f", largest Pc {top:.2e} ({self.pc_method})"
        if self.threshold_km is not None:
            s += f", threshold {self.threshold_km:g} km, {self.start} .. {self.stop} UTC"
        return s + ")"
