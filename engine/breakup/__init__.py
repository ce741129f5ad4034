"""NASA Standard Breakup Model: collisions and explosions as clouds of fragments.

    target = engine.breakup.Body(1750.0, r_km, v_kms, kind="spacecraft", epoch="2021-11-15T02:48")
    frags = engine.breakup.collision(target, projectile, lc_min=0.1, seed=0)
    frags = engine.breakup.explosion(rocket_body, lc_min=0.05, scale=1.0, seed=0)
    cloud = frags.to_catalog()          # SGP4 mean elements fitted to every fragment's state

The model is Johnson, Krisko, Liou and Anz-Meador, "NASA's new breakup model of
EVOLVE 4.0", Adv. Space Res. 28(9):1377-1384 (2001), with the corrections of the NASA
Orbital Debris Quarterly News 15(4), 2011, "Proper Implementation of the 1998 NASA
Breakup Model" (non-catastrophic mass M = m_p v^2; mass budget below). Equation numbers
in comments are those of the 2001 paper.

What is drawn, per fragment (kernels/breakup.cuh on the GPU, engine/breakup/_numpy.py on
the CPU, one Philox4x32-10 stream so both give the same cloud for the same seed):
  Lc   truncated power law with N(>Lc) = 6 S Lc^-1.6 (explosion, Eq. 2) or
       0.1 M^0.75 Lc^-1.71 (collision, Eq. 4), Lc in metres, M in kg;
  A/M  Eqs. 5-7: a two-component normal MIXTURE in log10(A/M) above 11 cm (component 1
       with probability alpha; the open implementations that draw 10^(alpha X1 +
       (1 - alpha) X2) instead halve the spread), one normal below 8 cm, a linear bridge
       in A/M between 8 and 11 cm; spacecraft and rocket-body tables;
  area Eqs. 8/9 from Lc, mass = area / (A/M);
  dv   log10(dv [m/s]) ~ N(0.2 chi + 1.85, 0.4) (explosion, Eq. 11) or
       N(0.9 chi + 2.9, 0.4) (collision, Eq. 12), chi = log10(A/M), isotropic direction,
       added to the velocity of the fragment's parent.

Mass budget (ODQN 2011): fragments are deposited along the size distribution from the
model's 1 mm floor upward; for a catastrophic event (and an explosion) up to the "bin
before 1 m", the rest of the mass M goes to the large fragments of the last bin
[min(1 m, Lc_parent), Lc_parent], whose number is the formula's N(>1 m) and whose sampled
masses are scaled together to close the budget (their A/M follows from the scaled mass).
The counts are always the formula's; the masses give way, per parent. When the target's
power-law fragments and its expected mass below lc_min leave it no rest (the laws put
more than M below 1 m: on average for spacecraft collisions below ~880 kg and explosions
below ~270 S kg, ~110 S kg for rocket bodies, and in some draws of heavier parents), its
power-law fragments, its unresolved mass and the large fragments are scaled by one factor,
event["mass_scale"]; a projectile whose fragments drew more than its mass has them scaled
to carry exactly it, event["projectile_mass_scale"] (both 1 otherwise; the large
fragments' factor is event["large_mass_scale"]); see _close_catastrophic_budget.
For a non-catastrophic collision the ejecta are deposited until their mass reaches
M = m_p v^2 and the target remains as one cratered remnant that carries the rest of the
mass and closes the momentum balance. Fragments below lc_min are not generated; their
expected mass (by quadrature of the same laws) is reported as
``Fragments.event["unresolved_mass_kg"]`` and counted in the budget, so that
``frags.mass.sum() + unresolved_mass_kg`` equals the parents' mass.

Units: lengths m (Lc), km (positions); masses kg; A/M m^2/kg; velocities km/s; frame TEME
(whatever frame the parents' states are in is kept).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from .. import _backend, _orbits
from .._parallel import resolve_threads
from ..constants import SGP4_RHO0_KG_M2_ER
from ..errors import message
from ..fit import FIT_HYPERBOLIC, FIT_OK, FIT_SUBORBITAL, fit_sgp4
from ..timeconv import jd_from_datetime64, to_datetime64
from . import _laws
from ._philox import check_seed

__all__ = [
    "Body",
    "Fragments",
    "collision",
    "explosion",
    "characteristic_length",
    "CATASTROPHIC_EMR_J_PER_KG",
    "LC_FLOOR_M",
    "KINDS",
    "ROLE_FRAGMENT",
    "ROLE_LARGE",
    "ROLE_REMNANT",
]

#: energy-to-mass ratio of a catastrophic collision, 40 J/g (Johnson et al. 2001, section 3)
CATASTROPHIC_EMR_J_PER_KG = 40_000.0
#: the model's smallest characteristic length (1 mm): the mass budget starts here
LC_FLOOR_M = 1e-3
#: upper end of the power-law deposit of catastrophic events (ODQN 2011: "the bin before 1 m")
LC_LARGE_M = 1.0
#: object classes of the A/M law
KINDS = {"spacecraft": _laws.SPACECRAFT, "rocket_body": _laws.ROCKET_BODY}
#: Fragments.role values
ROLE_FRAGMENT = 0   # drawn from the power law, delta-v added to its parent's velocity
ROLE_LARGE = 1      # large fragment of the last bin, carries the rest of the mass budget
ROLE_REMNANT = 2    # cratered target of a non-catastrophic collision

_BETA_COLLISION = 1.71   # Eq. 4 exponent
_BETA_EXPLOSION = 1.6    # Eq. 2 exponent
_DV_COLLISION = (0.9, 2.9)    # Eq. 12: slope, intercept of log10(dv [m/s]) against chi
_DV_EXPLOSION = (0.2, 1.85)   # Eq. 11
_DV_SIGMA = 0.4
# density law of intact objects used to give a parent a characteristic length from its
# mass: rho = 92.937 Lc^-0.74 kg/m^3 for Lc >= 1 cm (sphere of diameter Lc), aluminium
# below (the relation used by the NASA-breakup-model-cpp implementation, its "Equation 1")
_RHO_COEF = 92.937
_RHO_EXP = 2.26
_RHO_AL = 2698.9


def characteristic_length(mass_kg) -> np.ndarray:
    """Characteristic length of an intact object from its mass: the diameter of a sphere of
    density 92.937 Lc^-0.74 kg/m^3 (aluminium, 2698.9 kg/m^3, below 1 cm).

    Parameters
    ----------
    mass_kg : float or array_like
        Mass, kg, any shape.

    Returns
    -------
    ndarray
        Characteristic length, m, float64, the shape of mass_kg (NumPy: a host-side
        property of parents, not of clouds).
    """
    m = np.asarray(mass_kg, dtype=np.float64)
    m_1cm = _RHO_COEF * math.pi / 6.0 * 0.01**_RHO_EXP
    big = np.power(6.0 * m / (_RHO_COEF * math.pi), 1.0 / _RHO_EXP)
    small = np.cbrt(6.0 * m / (_RHO_AL * math.pi))
    return np.where(m >= m_1cm, big, small)


def _as_epoch(epoch):
    if epoch is None:
        return None
    t = to_datetime64(epoch)
    if t.ndim != 0:
        raise ValueError(f"epoch must be one time, got shape {t.shape}")
    return t[()]


@dataclass(frozen=True)
class Body:
    """A parent object of a breakup.

    Parameters
    ----------
    mass_kg : float
        Mass, kg, positive and finite.
    r_km, v_kms : array_like, shape (3,), float64
        Position (km) and velocity (km/s), TEME (or any inertial frame: fragments inherit
        it).
    kind : {"spacecraft", "rocket_body"}
        Selects the A/M law.
    lc_m : float, optional
        Characteristic length, m (default: from the mass, see characteristic_length).
    epoch : numpy.datetime64 or str, optional
        The time of the state (UTC); needed to turn fragments into a catalogue.
    name : str
        Label carried to the fragments.
    satnum : int, optional
        Catalogue number of the parent.

    Raises
    ------
    ValueError
        Naming every bad field (mass, state, kind, lc_m), or a position within 1,000 km of
        the earth's centre (not in km).
    """

    mass_kg: float
    r_km: np.ndarray
    v_kms: np.ndarray
    kind: str = "spacecraft"
    lc_m: float | None = None
    epoch: np.datetime64 | None = None
    name: str = ""
    satnum: int | None = None

    def __post_init__(self):
        problems = []
        m = self.mass_kg
        if not isinstance(m, (int, float, np.integer, np.floating)) or not (math.isfinite(m) and m > 0):
            problems.append(f"mass_kg must be a positive finite number of kilograms, got {m!r}")
        for name in ("r_km", "v_kms"):
            a = np.array(getattr(self, name), dtype=np.float64)
            if a.shape != (3,) or not np.all(np.isfinite(a)):
                problems.append(f"{name} must be 3 finite numbers, got {getattr(self, name)!r}")
            else:
                a.setflags(write=False)
                object.__setattr__(self, name, a)
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        if self.lc_m is not None and not (math.isfinite(self.lc_m) and self.lc_m > 0):
            problems.append(f"lc_m must be a positive length in metres or None, got {self.lc_m!r}")
        if problems:
            raise ValueError("Body: " + "; ".join(problems))
        if np.linalg.norm(self.r_km) < 1000.0:
            raise ValueError(f"Body: r_km {self.r_km.tolist()} is within 1000 km of the earth's "
                             "centre; give the position in km")
        object.__setattr__(self, "mass_kg", float(m))
        object.__setattr__(self, "epoch", _as_epoch(self.epoch))

    @property
    def lc(self) -> float:
        """Characteristic length (m): lc_m if given, else from the mass."""
        return float(self.lc_m) if self.lc_m is not None else float(characteristic_length(self.mass_kg))

    @classmethod
    def from_catalog(cls, catalog, index: int, epoch, *, mass_kg: float, kind: str = "spacecraft",
                     lc_m: float | None = None) -> "Body":
        """The object at position `index` of an engine.Catalog, propagated with SGP4 to
        `epoch`.

        Parameters
        ----------
        catalog : engine.Catalog
            The element sets.
        index : int
            Position of the object in the catalogue.
        epoch : numpy.datetime64 or str
            The time of the breakup, UTC.
        mass_kg, kind, lc_m
            As :class:`Body`.

        Returns
        -------
        Body
            State in TEME, km and km/s (SGP4 on NumPy: one object, one time), with the
            object's name and catalogue number.

        Raises
        ------
        ValueError
            If SGP4 fails for the object at that epoch (error code and its message).
        """
        sub = catalog[int(index):int(index) + 1]
        t = _as_epoch(epoch)
        jd, fr = jd_from_datetime64(t)
        e, r, v = sub.sgp4(np.atleast_1d(jd), np.atleast_1d(fr), backend="numpy")
        if e[0, 0] not in (0, 6):
            raise ValueError(f"SGP4 failed for satnum {int(sub.satnum[0])} at {t}: "
                             f"{message(int(e[0, 0]))}; choose an epoch nearer the element set's")
        return cls(mass_kg, r[0, 0], v[0, 0], kind=kind, lc_m=lc_m, epoch=t,
                   name=str(sub.name[0]), satnum=int(sub.satnum[0]))


_ARRAYS = ("lc", "am", "area", "mass", "dv", "r", "v", "parent", "kind", "role")


@dataclass(eq=False)
class Fragments:
    """A breakup cloud as a struct of arrays (N fragments), made by :func:`collision` and
    :func:`explosion`. Arrays are NumPy, or cupy when made with backend="cuda"
    (:meth:`to_host` copies).

    Attributes
    ----------
    lc : array, shape (N,), float64
        Characteristic length, m.
    am : array, shape (N,), float64
        Area-to-mass ratio, m^2/kg.
    area : array, shape (N,), float64
        Cross-sectional area, m^2.
    mass : array, shape (N,), float64
        Mass, kg.
    dv : array, shape (N, 3), float64
        Ejection velocity, km/s, relative to the parent's velocity (for large fragments
        and the remnant, relative to the target's).
    r, v : array, shape (N, 3), float64
        State at the event epoch, km and km/s, in the parents' frame (TEME).
    parent : array, shape (N,), uint8
        Index into `parents` (0 = target / exploding object, 1 = projectile).
    kind : array, shape (N,), uint8
        A/M law used (0 spacecraft, 1 rocket body).
    role : array, shape (N,), uint8
        ROLE_FRAGMENT, ROLE_LARGE or ROLE_REMNANT.
    epoch : numpy.datetime64 or None
        The event, datetime64[us] UTC (None if the parents had none).
    parents : tuple of Body
        The parents.
    event : dict
        The event: type, catastrophic, sbm_mass_kg, impact_speed_kms, emr_j_per_kg,
        lc_min, seed, n_formula, n_large, unresolved_mass_kg (of it
        unresolved_projectile_mass_kg from the projectile, moving with its velocity),
        mass_scale and projectile_mass_scale (factors on the target's and the
        projectile's power-law fragments, 1 unless the laws overfill the parent),
        large_mass_scale (None for a non-catastrophic collision), lc_top_m, ...; dropped
        is always 0: counts follow the formula.
    """

    lc: object
    am: object
    area: object
    mass: object
    dv: object
    r: object
    v: object
    parent: object
    kind: object
    role: object
    epoch: np.datetime64 | None
    parents: tuple
    event: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.lc.shape[0])

    def __repr__(self) -> str:
        ev = self.event.get("type", "?")
        return f"<Fragments {len(self)} from {ev} at {self.epoch}>"

    def __getitem__(self, key) -> "Fragments":
        """Subset by slice, index array or boolean mask (event metadata is kept)."""
        return Fragments(**{k: getattr(self, k)[key] for k in _ARRAYS}, epoch=self.epoch,
                         parents=self.parents, event=dict(self.event))

    @property
    def backend(self) -> str:
        """"numpy" when the arrays are NumPy arrays, "cuda" when they are cupy arrays."""
        return "numpy" if isinstance(self.lc, np.ndarray) else "cuda"

    def to_host(self) -> "Fragments":
        """The same fragments with NumPy arrays (this object itself when they already are).

        Returns
        -------
        Fragments
            Arrays copied from the device when on "cuda"; epoch, parents and event kept.
        """
        if not _backend.is_device_array(self.lc):
            return self
        return Fragments(**{k: _backend.to_host(getattr(self, k)) for k in _ARRAYS},
                         epoch=self.epoch, parents=self.parents, event=dict(self.event))

    @property
    def epoch_jd(self) -> tuple[float, float]:
        """The event epoch as a split Julian date (jd, fr), days, UTC.

        Raises
        ------
        ValueError
            If the fragments have no epoch (the parents had none).
        """
        if self.epoch is None:
            raise ValueError("these fragments have no epoch: give the parent Body an epoch")
        jd, fr = jd_from_datetime64(self.epoch)
        return float(jd), float(fr)

    def to_states(self):
        """The fragments' states at the event epoch, on the host.

        Returns
        -------
        r, v : ndarray, shape (N, 3), float64
            km and km/s, the parents' frame (NumPy copies: the fitters run on the host).
        jd, fr : ndarray, shape (N,), float64
            The epoch as split Julian dates, UTC.

        Raises
        ------
        ValueError
            If the fragments have no epoch.
        """
        jd, fr = self.epoch_jd
        h = self.to_host()
        n = len(h)
        return h.r.copy(), h.v.copy(), np.full(n, jd), np.full(n, fr)

    def bstar(self, cd: float = 2.2) -> np.ndarray:
        """SGP4 drag term from A/M: B* = cd (A/M) rho0 / 2, rho0 = 2.461e-5 kg/m^2/km x
        6378.135 km = 0.15696615 kg/m^2/earth radius (the SGP4 reference density; Vallado,
        Fundamentals of Astrodynamics, 4th ed., eq. 9-46).

        Parameters
        ----------
        cd : float
            Drag coefficient.

        Returns
        -------
        ndarray, shape (N,), float64
            B*, 1/earth radii, on the host (element sets are host data).
        """
        return 0.5 * cd * _backend.to_host(self.am) * SGP4_RHO0_KG_M2_ER

    #: catalogue numbers given to generated fragments by to_catalog (first, last): the
    #: 18th Space Defense Squadron's additional analyst range, Alpha-5 'T0000'-'Z9999', which
    #: TLEs can hold (no permanently catalogued object has such a number; the range may be
    #: released for permanent objects some day), for clouds of up to 70,000 fragments
    ANALYST_SATNUMS = (270_000, 339_999)
    #: for larger clouds: the range reserved for internal use by various systems (nine
    #: digits: OMM and CDM hold them, a TLE cannot, and Catalog.to_tle raises for them)
    INTERNAL_SATNUMS = (700_000_000, 899_999_999)

    def to_catalog(self, *, cd: float = 2.2, first_satnum: int | None = None, whichconst: str = "wgs72",
                   errors: str = "skip"):
        """engine.Catalog of SGP4 mean elements fitted to every fragment in orbit (a host
        object: fitting runs in NumPy whatever the cloud's backend).

        The elements' epoch is the event epoch; SGP4 at that epoch reproduces each state
        within 1 mm (engine.fit.fit_sgp4). B* from A/M with drag coefficient cd (default
        2.2, see bstar()).

        Catalogue numbers: satnum = first_satnum + fragment index, so that a fragment keeps
        its number whatever else is left out. Default (None): ANALYST_SATNUMS[0] (270000,
        Alpha-5 'T0000') for clouds of up to 70,000 fragments, else INTERNAL_SATNUMS[0]
        (700000000; such a catalogue can be written as OMM or CDM, not as TLE): numbers a
        real catalogued object cannot have, so that a CDM never names a real satellite.
        first_satnum must keep every number within 0..999,999,999 (nine digits, the
        catalogue's width).

        Fragments not in orbit at the event (engine._orbits: escaping, sub-orbital, or a
        mean perigee at or below 120 km, which the decay model counts as re-entered at the
        epoch) are an outcome of the breakup, not bad input: they are left out and listed
        in catalog.not_in_orbit (an engine._orbits.NotInOrbit: fragment index, reason code,
        mean perigee height; len() is the count, summary() the line; an attribute of this
        catalogue only, slices and concatenations do not carry it). Fragments that
        cannot be fitted (no convergence, SGP4 error) are errors: catalog.rejected lists
        them (engine.BadRecord, record = fragment index + 1) with one BadRecordsWarning
        (errors="skip"), or one engine.fit.FitError is raised (errors="raise").

        B* is the fixed conversion of the model's A/M (bstar()): decay such a catalogue with
        engine.longterm.decay(..., ballistic="bstar") to get that A/M back exactly.

        Parameters
        ----------
        cd : float
            Drag coefficient of bstar().
        first_satnum : int, optional
            Catalogue number of fragment 0 (see above).
        whichconst : str
            SGP4 gravity model of the fit ("wgs72" default).
        errors : {"skip", "raise"}
            What a fragment that cannot be fitted does.

        Returns
        -------
        engine.Catalog
            One element set per fragment in orbit (host data), with ``not_in_orbit`` and
            ``rejected``.

        Raises
        ------
        ValueError
            For a first_satnum that does not number every fragment within nine digits, or
            fragments without an epoch.
        engine.fit.FitError
            With errors="raise", for the first fragment that cannot be fitted.
        """
        n = len(self)
        if first_satnum is None:
            lo, hi = self.ANALYST_SATNUMS
            first_satnum = lo if n <= hi - lo + 1 else self.INTERNAL_SATNUMS[0]
        if isinstance(first_satnum, bool) or not isinstance(first_satnum, (int, np.integer)) \
                or not 0 <= first_satnum <= 999_999_999 - max(n - 1, 0):
            raise ValueError(f"first_satnum: {first_satnum!r} does not number {n:,} fragments within "
                             "0..999,999,999; give None (the analyst range, see the docstring) or a "
                             f"non-negative integer up to {999_999_999 - max(n - 1, 0):,}")
        r, v, jd, fr = self.to_states()
        fit = fit_sgp4(r, v, jd, fr, bstar=self.bstar(cd), whichconst=whichconst)
        reason = np.full(n, _orbits.IN_ORBIT, dtype=np.uint8)
        reason[fit.status == FIT_HYPERBOLIC] = _orbits.ESCAPING
        reason[fit.status == FIT_SUBORBITAL] = _orbits.SUBORBITAL
        perigee = np.full(n, np.nan)
        ok = fit.status == FIT_OK
        el = fit.elements
        if ok.any():
            # the same mean elements and height as engine.longterm.decay of the catalogue
            a, _ = _orbits.mean_a_period(el["no_kozai"][ok], el["ecco"][ok], el["inclo"][ok], whichconst)
            perigee[ok] = _orbits.mean_perigee_height_km(a, el["ecco"][ok], el["inclo"][ok], el["argpo"][ok])
            reason[ok] = _orbits.orbit_status(a, el["ecco"][ok], el["inclo"][ok], el["argpo"][ok])
        sub = reason == _orbits.SUBORBITAL
        perigee[sub] = fit.osc_perigee_km[sub] - _orbits.RE_KM
        out = reason != _orbits.IN_ORBIT
        parent = self.parents[0].name if self.parents else ""
        cat = fit.to_catalog(first_satnum + np.arange(n, dtype=np.int64), errors=errors, exclude=out,
                             name=f"{parent} DEB".strip())
        idx = np.flatnonzero(out)
        cat.not_in_orbit = _orbits.NotInOrbit(index=idx.astype(np.int64), reason=reason[idx],
                                              perigee_km=perigee[idx])
        return cat


# ----------------------------------------------------------------------------------------
# expected fragment mass by quadrature (for the mass budget)

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(48)
_GH_W = _GH_W / math.sqrt(2.0 * math.pi)
_LN10 = math.log(10.0)
# kinks of the laws in log10(Lc): piecewise-Gauss-Legendre between them
_BREAKS = sorted({math.log10(0.00167), -3.5, -1.95, -1.75, -1.4, -1.3, -1.25, -1.1,
                  math.log10(0.08), math.log10(0.11), -1.0, -0.7, -0.5, -0.3, -0.1, 0.0, 0.1, 0.55})
_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)


def _lognormal_inverse_mean(mu, s):
    # E[10^-X] for X ~ N(mu, s)
    return np.power(10.0, -mu) * np.exp(0.5 * (s * _LN10) ** 2)


def mean_inverse_am(lc, kind) -> np.ndarray:
    """Mean inverse area-to-mass ratio of the A/M law (the mass per unit area a fragment of
    that size carries on average), by Gauss-Hermite quadrature.

    Parameters
    ----------
    lc : float or array_like
        Characteristic length, m, any shape.
    kind : int
        Object class of the law: 0 spacecraft, 1 rocket body (the values of KINDS).

    Returns
    -------
    ndarray
        E[1 / (A/M)], kg/m^2, float64, the shape of lc (a scalar gives shape (1,)); NumPy
        (the model's bookkeeping, on the host).
    """
    lc = np.asarray(lc, dtype=np.float64)
    shape = np.shape(lc) or (1,)
    lc = lc.reshape(-1)
    lam = np.log10(lc)
    mu, s = _laws.am_small_params(lam)
    small = _lognormal_inverse_mean(mu, s)
    alpha, mu1, s1, mu2, s2 = _laws.am_large_params(kind, lam)
    large = alpha * _lognormal_inverse_mean(mu1, s1) + (1 - alpha) * _lognormal_inverse_mean(mu2, s2)
    out = np.where(lc < 0.08, small, large)
    mid = (lc >= 0.08) & (lc <= 0.11)
    if np.any(mid):
        # bridge: 1 / ((1 - w) Y0 + w Y1), Y0 small law, Y1 mixture; Gauss-Hermite in both normals
        lm, w = lam[mid][:, None, None], ((lc[mid] - 0.08) / 0.03)[:, None, None]
        mu, s = _laws.am_small_params(lm)
        y0 = np.power(10.0, mu + s * _GH_X[None, :, None])
        a, m1, s1, m2, s2 = _laws.am_large_params(kind, lm)
        zz = _GH_X[None, None, :]
        ww = _GH_W[None, :, None] * _GH_W[None, None, :]
        e1 = np.sum(ww / ((1 - w) * y0 + w * np.power(10.0, m1 + s1 * zz)), axis=(1, 2))
        e2 = np.sum(ww / ((1 - w) * y0 + w * np.power(10.0, m2 + s2 * zz)), axis=(1, 2))
        out[mid] = a[:, 0, 0] * e1 + (1 - a[:, 0, 0]) * e2
    return out.reshape(shape)


def _expected_mass(n0, beta, lo, hi, weights) -> float:
    """Expected total mass (kg) of the fragments with lo <= Lc < hi (m) when
    N(>Lc) = n0 Lc^-beta; weights: list of (weight_function(lc) -> same shape, kind).
    Gauss-Legendre on every segment between the laws' kinks, all segments in one array
    pass (this runs once per event, and dozens of times in _top_of_deposit's search)."""
    if not hi > lo:
        return 0.0
    a, b = math.log10(lo), math.log10(hi)
    edges = np.array([a] + [x for x in _BREAKS if a < x < b] + [b])
    half = 0.5 * np.diff(edges)[:, None]                     # (segments, 1)
    lam = 0.5 * (edges[:-1, None] + edges[1:, None]) + half * _GL_X
    lc = np.power(10.0, lam)                                 # (segments, nodes)
    # dN = n0 beta ln10 Lc^-beta dlam
    dn = n0 * beta * _LN10 * np.power(lc, -beta)
    m = sum(wf(lc) * mean_inverse_am(lc, kind) for wf, kind in weights) * _laws.area_from_lc(lc)
    return float(np.sum(half[:, 0] * np.sum(_GL_W * dn * m, axis=1)))


def _top_of_deposit(n0, beta, budget, lc_max, weights) -> float:
    """The Lc (m) at which fragments deposited from the 1 mm floor upward reach the
    expected mass `budget` (kg), capped at lc_max (ODQN 2011, non-catastrophic case).
    Safeguarded Newton in log10(Lc): the derivative is the mass density dM/dlog10(Lc)."""
    if _expected_mass(n0, beta, LC_FLOOR_M, lc_max, weights) <= budget:
        return lc_max
    lo, hi = math.log10(LC_FLOOR_M), math.log10(lc_max)
    x = 0.5 * (lo + hi)
    for _ in range(100):
        lc = 10.0**x
        f = _expected_mass(n0, beta, LC_FLOOR_M, lc, weights) - budget
        if f < 0:
            lo = x
        else:
            hi = x
        if abs(f) <= 1e-10 * budget or hi - lo < 1e-13:
            break
        dens = float(n0 * beta * _LN10 * lc**-beta * _laws.area_from_lc(lc)
                     * sum(wf(np.array([lc])) * mean_inverse_am(lc, kind) for wf, kind in weights)[0])
        step = x - f / dens if dens > 0 else 0.5 * (lo + hi)
        x = step if lo < step < hi else 0.5 * (lo + hi)
    return 10.0**x


# ----------------------------------------------------------------------------------------
# sampling dispatch


def _sample(backend: str, p: _laws.SizeParams, n: int, xp, threads: int):
    """The size stage on a resolved backend: (n,) arrays lc, am, area, mass (float64),
    parent, kind (uint8) of the backend's array module xp."""
    lc = xp.empty(n, dtype=xp.float64)
    am = xp.empty(n, dtype=xp.float64)
    area = xp.empty(n, dtype=xp.float64)
    mass = xp.empty(n, dtype=xp.float64)
    parent = xp.empty(n, dtype=xp.uint8)
    kind = xp.empty(n, dtype=xp.uint8)
    _backend.implementation(__name__, backend).sample_size(
        p, 0, n, lc=lc, am=am, area=area, mass=mass, parent=parent, kind=kind, backend=backend,
        threads=threads)
    return lc, am, area, mass, parent, kind


def _sample_dv(backend: str, seed: int, am, slope: float, intercept: float, xp, threads: int):
    """The delta-v stage on a resolved backend: (n, 3) km/s of the backend's array module."""
    dv = xp.empty((am.shape[0], 3), dtype=xp.float64)
    _backend.implementation(__name__, backend).sample_dv(
        seed, 0, am, slope, intercept, _DV_SIGMA, out=dv, backend=backend, threads=threads)
    return dv


def _check_lc_min(lc_min) -> float:
    if not isinstance(lc_min, (int, float, np.integer, np.floating)) or not math.isfinite(lc_min):
        raise ValueError(f"lc_min must be a length in metres, got {lc_min!r}")
    lc_min = float(lc_min)
    if lc_min < LC_FLOOR_M:
        raise ValueError(f"lc_min = {lc_min} m is below the breakup model's 1 mm floor; "
                         f"pass lc_min >= {LC_FLOOR_M}")
    return lc_min


def _power_law(n0: float, beta: float, lc_min: float, lc_max: float):
    """Counts and inverse-CDF constants: n_total, n_large, small/large ranges."""
    lc_break = min(LC_LARGE_M, lc_max)
    n_total = int(round(n0 * lc_min**-beta))
    lo_large = max(lc_break, lc_min)
    n_large = min(n_total, max(1, int(round(n0 * lo_large**-beta)))) if n_total else 0
    n_small = n_total - n_large
    return n_total, n_small, n_large, lc_break, lo_large


@functools.lru_cache(maxsize=256)
def _event_constants(n0: float, beta: float, lc_min: float, lc_max: float, budget_kg: float,
                     catastrophic: bool, kind_target: int, kind_projectile: int, lc_projectile: float,
                     q_projectile: float) -> tuple[float, float, float]:
    """(lc_top m, unresolved kg, projectile's share of unresolved kg): the quadratures of an
    event, which do not depend on the seed (memoised: a Monte Carlo over seeds pays once).

    lc_top: the upper end of the power-law deposit, min(1 m, Lc_parent) for a catastrophic
    event, else the size at which the ejecta's expected mass reaches budget_kg (ODQN 2011).
    unresolved: expected mass of the fragments from 1 mm to min(lc_min, lc_top), fragments
    no larger than the projectile coming from it with probability q_projectile."""

    def w_target(lc):
        return 1.0 - np.where(lc <= lc_projectile, q_projectile, 0.0)

    def w_proj(lc):
        return np.where(lc <= lc_projectile, q_projectile, 0.0)

    weights = [(w_target, kind_target), (w_proj, kind_projectile)]
    if catastrophic:
        top = min(LC_LARGE_M, lc_max)
    else:
        top = _top_of_deposit(n0, beta, budget_kg, lc_max, weights)
    hi = min(lc_min, top)
    unres = _expected_mass(n0, beta, LC_FLOOR_M, hi, weights)
    unres_p = _expected_mass(n0, beta, LC_FLOOR_M, hi, [(w_proj, kind_projectile)]) if q_projectile > 0 else 0.0
    return top, unres, unres_p


def _close_catastrophic_budget(parents, unres_t: float, unres_p: float, n_small: int, mass, am,
                               area, parent, xp):
    """Make each parent's fragments carry that parent's mass with the counts unchanged.

    parents: (target,) or (target, projectile) Body. unres_t, unres_p: expected mass (kg)
    below lc_min from each. mass, am, area: (N,) kg, m^2/kg, m^2, rows [0, n_small) the
    power-law fragments (parent: (N,) uint8, 1 for the projectile's), the rest (at least
    one) the large fragments; scaled in place; xp: their array module. Returns
    (mass_scale, projectile_mass_scale, large_mass_scale, rest_t, rest_p): the factors
    applied to the target's power-law fragments and unresolved mass, to the projectile's,
    and to the large fragments' sampled masses; rest_t > 0, rest_p >= 0 (kg): the mass of
    each parent that the large fragments carry, so that their velocity, the centre of
    mass of the two rests, lies between the parents' velocities.

    ODQN 2011: the power-law fragments keep the masses their A/M law gives, the large
    fragments of the last bin carry the rest, R = M - unresolved - power-law mass, their
    sampled masses scaled together.

    The count law, the A/M law and the parents' mass do not always fit together: the
    expected mass of the power law from 1 mm to 1 m is 84 % of M for a 1,770 kg
    catastrophic collision, 97 % for 1,010 kg, 3 times M for 10.5 kg (up to its 0.51 m),
    and a few heavy fragments near 1 m (A/M in the low tail of the mixture law) take a
    draw past M: 5 % of the seeds at 1,770 kg, 33 % at 1,010 kg. The counts and sizes are
    kept (the formula's counts are the model's first law) and the masses give way, per
    parent, since no parent can lose more mass than it has:
    - projectile: if its power-law fragments and its unresolved mass exceed its mass
      (a heavy draw among its few fragments: ~10 % of seeds at 1,770 + 20 kg), they are
      scaled by one factor to carry exactly its mass and it leaves nothing to the large
      fragments. Otherwise the large fragments would take a negative rest from it and,
      to keep the momentum, start up to 136 km/s from the target (1,000 + 10 kg).
    - target: if its power-law fragments and unresolved mass leave it nothing (R_t <= 0),
      ODQN has no rule; its power-law fragments, its unresolved mass and the large
      fragments' sampled masses are scaled by one factor, m_t / (their sum), the one
      choice that treats them alike: log10(A/M) of each shifts by -log10(factor) (and its
      delta-v with it, Eqs. 11/12). The rule is not continuous at R_t = 0: as R_t -> 0+
      ODQN leaves the large fragments almost massless (in 200 seeds at 1,010 kg, A/M up
      to 1,700 times their sampled one, delta-v with it, and a velocity near the
      projectile's when its rest dominates), while the common factor gives them their
      sampled share; a continuous rule needs a floor for the large fragments' mass,
      which the model does not give.
    """
    target = parents[0]
    m_p = parents[1].mass_kg if len(parents) > 1 else 0.0
    m_large = float(mass[n_small:].sum())
    is_p = parent[:n_small] == 1
    s_p = float(mass[:n_small][is_p].sum()) if m_p > 0.0 else 0.0
    s_t = float(mass[:n_small].sum()) - s_p
    k_p = m_p / (s_p + unres_p) if s_p + unres_p > m_p else 1.0
    rest_p = m_p - k_p * (s_p + unres_p)
    rest_t = target.mass_kg - s_t - unres_t
    k_t = 1.0
    if not rest_t > 0.0:
        k_t = target.mass_kg / (s_t + unres_t + m_large)
        rest_t = k_t * m_large
    rest_p = max(rest_p, 0.0)   # rounding of k_p (s_p + unres_p) can leave -1 ulp
    large_scale = (rest_t + rest_p) / m_large
    if k_t != 1.0 or k_p != 1.0:
        mass[:n_small] *= (k_t if k_p == k_t else xp.where(is_p, k_p, k_t))
        am[:n_small] = area[:n_small] / mass[:n_small]
    mass[n_small:] *= large_scale
    am[n_small:] = area[n_small:] / mass[n_small:]
    return k_t, k_p, large_scale, rest_t, rest_p


def _build(*, backend, seed, n0, beta, lc_min, lc_max, budget_kg, parents, q_projectile,
           dv_law, catastrophic, event, threads):
    """Common body of collision() and explosion(): draw, close the mass budget, add
    velocities. budget_kg: the mass M that the fragments must carry; backend resolved,
    threads a checked count."""
    xp = _backend.xp(backend)
    target = parents[0]
    proj = parents[1] if len(parents) > 1 else None
    kt = KINDS[target.kind]
    kp = KINDS[proj.kind] if proj is not None else kt
    lc_p = proj.lc if proj is not None else 0.0
    if catastrophic:
        if lc_min > lc_max:
            raise ValueError(f"lc_min = {lc_min} m exceeds the characteristic length of the largest "
                             f"parent ({lc_max:.6g} m): no fragment can be that large; "
                             f"pass lc_min <= {math.floor(lc_max * 1e4) / 1e4}")
        n_total, n_small, n_large, _, lo_large = _power_law(n0, beta, lc_min, lc_max)
        if n_total == 0:
            lc_half = math.floor((2.0 * n0) ** (1.0 / beta) * 1e4) / 1e4   # N(>Lc) = 0.5
            raise ValueError(f"lc_min = {lc_min} m: the model gives N(>lc_min) = {n0 * lc_min**-beta:.3g} "
                             "fragments, which rounds to none, so no fragment would carry the parents' "
                             f"mass; pass lc_min < {lc_half} m (N = 0.5)")
    top, unresolved, unres_p = _event_constants(
        float(n0), float(beta), lc_min, float(lc_max), float(budget_kg), bool(catastrophic), kt, kp,
        float(lc_p), float(q_projectile))
    if not catastrophic:
        # ejecta deposited from 1 mm upward until their expected mass reaches the budget
        n_total = int(round(n0 * (lc_min**-beta - top**-beta))) if top > lc_min else 0
        n_small, n_large, lo_large = n_total, 0, top
    p = _laws.SizeParams(
        seed=seed, n_small=n_small, neg_beta_inv=-1.0 / beta,
        small_lo=lc_min**-beta, small_span=lc_min**-beta - max(top, lc_min)**-beta,
        large_lo=lo_large**-beta, large_span=lo_large**-beta - lc_max**-beta,
        q_projectile=float(q_projectile), lc_projectile=float(lc_p),
        kind_target=kt, kind_projectile=kp)
    lc, am, area, mass, parent, kind = _sample(backend, p, n_total, xp, threads)
    role = xp.zeros(n_total, dtype=xp.uint8)
    role[n_small:] = ROLE_LARGE

    total_mass = sum(b.mass_kg for b in parents)
    mass_scale, proj_scale, large_scale = 1.0, 1.0, None
    if catastrophic:
        mass_scale, proj_scale, large_scale, rest_t, rest_p = _close_catastrophic_budget(
            parents, unresolved - unres_p, unres_p, n_small, mass, am, area, parent, xp)
        if mass_scale != 1.0 or proj_scale != 1.0:
            unres_t, unres_p = (unresolved - unres_p) * mass_scale, unres_p * proj_scale
            unresolved = unres_t + unres_p

    slope, intercept = dv_law
    dv = _sample_dv(backend, seed, am, slope, intercept, xp, threads)
    n = int(lc.shape[0])
    r = xp.empty((n, 3), dtype=xp.float64)
    r[...] = xp.asarray(target.r_km)
    v = dv + xp.asarray(target.v_kms)
    is_proj = parent == 1
    if proj is not None:
        v[is_proj] += xp.asarray(proj.v_kms - target.v_kms)   # rows of projectile fragments only
    if catastrophic:
        # the large fragments carry what each parent has left, with its momentum: their
        # velocity is the centre of mass of the two rests (both >= 0, see
        # _close_catastrophic_budget), between the parents' velocities
        p_rem = rest_t * target.v_kms + (rest_p * proj.v_kms if proj is not None else 0.0)
        v_cm = p_rem / (rest_t + rest_p)
        v[n_small:] += xp.asarray(v_cm - target.v_kms)
    if not catastrophic and proj is not None:
        # the cratered target: the rest of both parents' mass, closing the momentum balance
        p_total = target.mass_kg * target.v_kms + proj.mass_kg * proj.v_kms
        p_unres = (unresolved - unres_p) * target.v_kms + unres_p * proj.v_kms
        m_ej = float(mass.sum())
        p_ej = _backend.to_host((mass[:, None] * v).sum(axis=0))
        m_rem = total_mass - m_ej - unresolved
        if m_rem <= 0.0:
            raise RuntimeError(f"non-catastrophic collision left no remnant mass ({m_rem} kg); "
                               "this should not happen (M = m_p v^2 < 0.08 m_t)")
        v_rem = (p_total - p_ej - p_unres) / m_rem
        lc_rem = float(characteristic_length(m_rem)) if target.lc_m is None else target.lc
        a_rem = math.pi * (lc_rem / 2.0) ** 2
        extra = dict(lc=lc_rem, am=a_rem / m_rem, area=a_rem, mass=m_rem, parent=0, kind=kt, role=ROLE_REMNANT)
        lc, am, area, mass, parent, kind, role = (
            xp.concatenate([a, xp.asarray([extra[k]], dtype=a.dtype)])
            for a, k in ((lc, "lc"), (am, "am"), (area, "area"), (mass, "mass"), (parent, "parent"),
                         (kind, "kind"), (role, "role")))
        dv = xp.concatenate([dv, xp.asarray(v_rem - target.v_kms)[None, :]])
        v = xp.concatenate([v, xp.asarray(v_rem)[None, :]])
        r = xp.concatenate([r, xp.asarray(target.r_km)[None, :]])

    event.update(lc_min=lc_min, seed=seed, n_formula=n0 * lc_min**-beta, dropped=0,
                 unresolved_mass_kg=unresolved, unresolved_projectile_mass_kg=unres_p,
                 lc_top_m=top, n_large=n_large,
                 mass_scale=mass_scale, projectile_mass_scale=proj_scale, large_mass_scale=large_scale,
                 parents_mass_kg=total_mass, backend=backend)
    return Fragments(lc=lc, am=am, area=area, mass=mass, dv=dv, r=r, v=v, parent=parent, kind=kind,
                     role=role, epoch=target.epoch, parents=tuple(parents), event=event)


def collision(target: Body, projectile: Body, *, lc_min: float = 0.1, seed: int = 0,
              backend: str = "auto", threads: int | None = None) -> Fragments:
    """Fragments of a collision between two bodies (NASA SBM, Eqs. 4, 5-9, 12).

    The heavier body is the target (the order of the arguments does not matter).
    Impact speed v = |v_target - v_projectile|; energy-to-mass ratio
    EMR = m_p v^2 / (2 m_t) (J/kg). Catastrophic when EMR >= 40 J/g: both bodies break up,
    M = m_t + m_p. Otherwise M = m_p v^2 (v in km/s, ODQN 2011) of ejecta and a cratered
    target remnant. Fragment counts follow N(>Lc) = 0.1 M^0.75 Lc^-1.71 down to lc_min.
    Fragments no larger than the projectile come from it with probability m_p / M (their
    velocity starts from the projectile's), the others from the target.

    Parameters
    ----------
    target, projectile : Body
        The two parents, states at the time of impact (within 1 km of each other).
    lc_min : float
        Smallest characteristic length generated, m (>= 1 mm).
    seed : int
        Any integer in [0, 2**64): the same seed gives the same cloud on every backend.
    backend : {"auto", "numpy", "cuda", "host"}
        Where the fragments are drawn; on "cuda" the arrays are cupy arrays (the event's
        bookkeeping, a few scalars, is done on the host).
    threads : int or None
        Worker threads of the NumPy backend (None: $DEBRIS_ENGINE_THREADS, else every
        usable core: its blocks are large array operations that release the GIL). Ignored
        by the kernel backends. The cloud does not depend on it.

    Returns
    -------
    Fragments
        The cloud (N fragments, arrays on the backend's device); ``.event`` describes the
        event.

    Raises
    ------
    TypeError
        If target or projectile is not a Body, or seed not an integer.
    ValueError
        For lc_min below 1 mm, a seed outside [0, 2**64), bodies with the same velocity or
        more than 1 km apart, a threads value that is not a whole number >= 1, or an
        lc_min that leaves no fragment.
    """
    lc_min = _check_lc_min(lc_min)
    seed = check_seed(seed)
    threads = resolve_threads(threads, "cores")
    backend = _backend.resolve(backend)
    if not isinstance(target, Body) or not isinstance(projectile, Body):
        raise TypeError("collision() takes two engine.breakup.Body objects")
    if projectile.mass_kg > target.mass_kg:
        target, projectile = projectile, target
    speed = float(np.linalg.norm(target.v_kms - projectile.v_kms))
    if speed <= 0.0:
        raise ValueError("collision: the two bodies have the same velocity; give the impact velocity")
    if np.linalg.norm(target.r_km - projectile.r_km) > 1.0:
        raise ValueError(f"collision: the bodies are {np.linalg.norm(target.r_km - projectile.r_km):.3f} km "
                         "apart; give both states at the time of impact")
    emr = 0.5 * projectile.mass_kg * (speed * 1e3) ** 2 / target.mass_kg
    catastrophic = emr >= CATASTROPHIC_EMR_J_PER_KG
    if catastrophic:
        m_sbm = target.mass_kg + projectile.mass_kg
        q = projectile.mass_kg / m_sbm
    else:
        m_sbm = projectile.mass_kg * speed**2     # ODQN 2011: M = m_p v^2, v in km/s
        q = min(1.0, projectile.mass_kg / m_sbm)
    event = dict(type="collision", catastrophic=bool(catastrophic), sbm_mass_kg=m_sbm,
                 impact_speed_kms=speed, emr_j_per_kg=emr)
    return _build(backend=backend, seed=seed, n0=0.1 * m_sbm**0.75, beta=_BETA_COLLISION,
                  lc_min=lc_min, lc_max=max(target.lc, projectile.lc), budget_kg=m_sbm,
                  parents=(target, projectile), q_projectile=q, dv_law=_DV_COLLISION,
                  catastrophic=catastrophic, event=event, threads=threads)


def explosion(parent: Body, *, lc_min: float = 0.1, scale: float = 1.0, seed: int = 0,
              backend: str = "auto", threads: int | None = None) -> Fragments:
    """Fragments of an explosion (NASA SBM, Eqs. 2, 5-9, 11).

    N(>Lc) = 6 scale Lc^-1.6 down to lc_min. The parent's whole mass is shared by the
    fragments (large fragments of the last bin take what the power law leaves).

    Parameters
    ----------
    parent : Body
        The exploding object.
    lc_min : float
        Smallest characteristic length generated, m (>= 1 mm).
    scale : float
        The model's unitless S (1 for upper stages of 600-1000 kg; fitted per event
        otherwise), > 0.
    seed : int
        As in :func:`collision`.
    backend : {"auto", "numpy", "cuda", "host"}
        As in :func:`collision`.
    threads : int or None
        As in :func:`collision` (NumPy backend only; the cloud does not depend on it).

    Returns
    -------
    Fragments
        The cloud; ``.event`` describes the event.

    Raises
    ------
    TypeError
        If parent is not a Body, or seed not an integer.
    ValueError
        For lc_min below 1 mm or above the parent's size, a bad seed or scale, or a
        threads value that is not a whole number >= 1.
    """
    lc_min = _check_lc_min(lc_min)
    seed = check_seed(seed)
    threads = resolve_threads(threads, "cores")
    backend = _backend.resolve(backend)
    if not isinstance(parent, Body):
        raise TypeError("explosion() takes an engine.breakup.Body")
    if not (isinstance(scale, (int, float, np.integer, np.floating)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number (the SBM's S), got {scale!r}")
    event = dict(type="explosion", catastrophic=True, sbm_mass_kg=parent.mass_kg, scale=float(scale),
                 impact_speed_kms=0.0, emr_j_per_kg=float("nan"))
    return _build(backend=backend, seed=seed, n0=6.0 * float(scale), beta=_BETA_EXPLOSION,
                  lc_min=lc_min, lc_max=parent.lc, budget_kg=parent.mass_kg, parents=(parent,),
                  q_projectile=0.0, dv_law=_DV_EXPLOSION, catastrophic=True, event=event, threads=threads)
