"""CCSDS Conjunction Data Messages (CDM, 508.0-B-1, KVN) for engine's conjunctions.

    cdm = engine.cdm.read("event.cdm")          # path, or the message text itself
    cdm.tca, cdm.miss_distance_m, cdm.hbr_m
    o1 = cdm.object1                            # CdmObject
    o1.covariance_rtn(), o1.covariance_inertial()  # (6, 6) km^2, km^2/s, km^2/s^2
    engine.cdm.write(cdm, "out.cdm")            # cdm = engine.cdm.CDM.from_states(tca=..., r1=..., ...)
    engine.cdm.write(conj, "cdms/", hbr_km=0.05)  # one CDM per event of a Conjunctions, with Pc
    text = engine.cdm.dumps(cdm)

The message codec (CDM, CdmObject, read, dumps, writing one message) is engine.io.cdm; this
module is the bridge from a screening to messages: write_conjunctions rotates the states to
GCRF, assumes covariances where element sets carry none and computes Pc, which is physics
the codec does not do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import frames, pc
from .io import cdm as _codec
from .io.cdm import COVARIANCE_6X6_KEYWORDS, CDM, CdmObject, dumps, read
from .screening import Conjunctions

__all__ = ["CDM", "CdmObject", "COVARIANCE_6X6_KEYWORDS", "read", "write", "write_conjunctions", "dumps"]


def write(cdm, path=None, **options):
    """Write CDMs as KVN: one message, or one per conjunction of a screening.

    Parameters
    ----------
    cdm : CDM or engine.Conjunctions
        One message (build one from states with CDM.from_states(tca=..., r1=..., v1=...,
        cov1=..., r2=..., v2=..., cov2=..., ...)), or a table of K conjunctions.
    path : str or os.PathLike or None
        For a CDM: the file to write (None only returns the text). For Conjunctions: the
        directory to write the K messages to (required).
    **options
        For Conjunctions only, as write_conjunctions: hbr_km, cov_primary, cov_secondary,
        originator.

    Returns
    -------
    str or list of pathlib.Path
        The message text (CDM), or the K files written (Conjunctions), each with
        COLLISION_PROBABILITY and COLLISION_PROBABILITY_METHOD.

    Raises
    ------
    TypeError
        `cdm` is neither, or options given with a CDM.
    ValueError
        No directory for Conjunctions, or as write_conjunctions and engine.io.cdm.write.
    """
    if isinstance(cdm, Conjunctions):
        if path is None:
            raise ValueError("write(conjunctions, directory): give the directory to write the messages to")
        return write_conjunctions(cdm, path, **options)
    if options:
        raise TypeError(f"write(cdm, path) takes no options ({', '.join(sorted(options))}); they are for "
                        "write(conjunctions, directory, hbr_km=...)")
    return _codec.write(cdm, path)


def write_conjunctions(conj, directory, *, hbr_km=None, cov_primary=None, cov_secondary=None,
                       originator="debris-engine") -> list:
    """One CDM per conjunction of an engine.Conjunctions, with Pc.

    States: the screening's TEME states at TCA rotated to GCRF (engine.frames.teme_to_gcrf,
    IAU-76/FK5; REF_FRAME = GCRF, one of the frames 508.0-B-1 allows). Every message carries
    the radius ('COMMENT HBR = <m>', CARA's convention), COLLISION_PROBABILITY (Foster 2D
    with the covariances written in the message, so engine.pc.from_cdm gives it back) and
    COLLISION_PROBABILITY_METHOD.

    Parameters
    ----------
    conj : engine.Conjunctions
        K conjunctions.
    directory : str or os.PathLike
        Created if missing; each message is written there as
        <TCA>_<primary satnum>_<secondary satnum>.cdm.
    hbr_km : float or (K,) array_like or None
        Combined hard-body radius, km; None takes the table's hbr_km (Conjunctions.with_pc).
    cov_primary, cov_secondary : (3, 3), (6, 6), (K, 3, 3) or (K, 6, 6) array_like or None
        Covariances, km^2 (km^2/s, km^2/s^2), TEME, rotated with the states
        (COVARIANCE_METHOD = CALCULATED). None: element sets carry none, so each object gets
        engine.pc.default_covariance for its |age| since epoch (COVARIANCE_METHOD = DEFAULT,
        and a COMMENT says the covariance is assumed).
    originator : str
        ORIGINATOR of every message.

    Returns
    -------
    list of pathlib.Path
        The K files written, in row order.

    Raises
    ------
    ValueError
        Before writing anything: no radius, a negative or NaN radius, a covariance of
        another shape, or a table whose Pc came from given covariances that are not passed.
    """
    k_all = len(conj)
    if hbr_km is None:
        if not conj.has_pc:
            raise ValueError("engine.cdm.write(conjunctions, directory): no hard-body radius for "
                             "COLLISION_PROBABILITY; pass hbr_km= (combined radius of the two objects, km, "
                             "e.g. hbr_km=0.02) or write conj.with_pc(hbr_km=...)")
        hbr = np.asarray(conj.hbr_km, dtype=np.float64)
        given = np.flatnonzero(~np.asarray(conj.covariance_assumed, dtype=bool))
        if given.size and (cov_primary is None or cov_secondary is None):
            raise ValueError(f"engine.cdm.write(conjunctions, directory): rows {given[:10].tolist()} have a Pc "
                             "from given covariances; pass the same cov_primary= and cov_secondary= so the "
                             "messages carry them")
    else:
        hbr = np.broadcast_to(np.asarray(hbr_km, dtype=np.float64), (k_all,))
    bad = np.flatnonzero(~(hbr >= 0))
    if bad.size:
        raise ValueError(f"engine.cdm.write(conjunctions, directory): hbr_km negative or NaN in rows "
                         f"{bad[:10].tolist()}; the hard-body radius is >= 0 km")
    if k_all == 0:
        return []
    # TEME -> GCRF rotation at each TCA: M with columns M e_i (velocities rotated likewise)
    eye = np.broadcast_to(np.eye(3), (k_all, 3, 3))
    m, _ = frames.teme_to_gcrf(eye, None, np.asarray(conj.tca_jd)[:, None], np.asarray(conj.tca_fr)[:, None])
    m = np.swapaxes(m, 1, 2)
    covs = []
    for given_cov, r, v, dse in ((cov_primary, conj.r_primary, conj.v_primary, conj.dse_primary),
                                 (cov_secondary, conj.r_secondary, conj.v_secondary, conj.dse_secondary)):
        rg, vg = frames.teme_to_gcrf(r, v, conj.tca_jd, conj.tca_fr)
        if given_cov is None:
            covs.append((rg, vg, np.asarray(pc.default_covariance(rg, vg, np.abs(dse))), True))
            continue
        c = np.asarray(given_cov, dtype=np.float64)
        if c.ndim == 2:
            c = np.broadcast_to(c, (k_all, *c.shape))
        if c.shape not in ((k_all, 3, 3), (k_all, 6, 6)):
            raise ValueError(f"engine.cdm.write(conjunctions, directory): covariance shape {c.shape}; give "
                             f"(3, 3), (6, 6), ({k_all}, 3, 3) or ({k_all}, 6, 6) km^2 in TEME")
        b = np.zeros((k_all, *c.shape[1:]))
        for o in range(0, c.shape[1], 3):
            b[:, o:o + 3, o:o + 3] = m
        covs.append((rg, vg, b @ c @ np.swapaxes(b, 1, 2), False))
    (r1, v1, c1, assumed1), (r2, v2, c2, assumed2) = covs
    res = pc.foster(r1, v1, c1, r2, v2, c2, hbr, assumed=assumed1 or assumed2, backend="numpy")
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(k_all):
        objects = []
        for sat, name, assumed in ((conj.primary_satnum[k], conj.primary_name[k], assumed1),
                                   (conj.secondary_satnum[k], conj.secondary_name[k], assumed2)):
            objects.append({"OBJECT_DESIGNATOR": str(int(sat)), "OBJECT_NAME": str(name) or "UNKNOWN",
                            "COVARIANCE_METHOD": "DEFAULT" if assumed else "CALCULATED",
                            "EPHEMERIS_NAME": "NONE"})
        note = ["states from SGP4 element sets (TEME rotated to GCRF)"]
        if assumed1 or assumed2:
            note.append("covariances assumed (engine.pc.DEFAULT_COVARIANCE), not measured, for "
                        + ("both objects" if assumed1 and assumed2 else "OBJECT1" if assumed1 else "OBJECT2"))
        flags = res.flag_names(k)
        if flags:
            note.append("Pc flags: " + ", ".join(flags))
        msg = CDM.from_states(
            tca=conj.tca[k], r1=r1[k], v1=v1[k], cov1=c1[k], r2=r2[k], v2=v2[k], cov2=c2[k],
            miss_distance_km=float(conj.miss_km[k]), relative_speed_km_s=float(conj.vrel_kms[k]),
            object1=objects[0], object2=objects[1], originator=originator, ref_frame="GCRF",
            hbr_km=float(hbr[k]), collision_probability=float(res.pc[k]), collision_probability_method=res.method,
            comments=note)
        stamp = np.datetime_as_string(conj.tca[k], unit="ms").replace(":", "").replace("-", "")
        path = out_dir / f"{stamp}_{int(conj.primary_satnum[k])}_{int(conj.secondary_satnum[k])}.cdm"
        write(msg, path)
        paths.append(path)
    return paths
