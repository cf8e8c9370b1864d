"""Tests behind the integrity flags: is one unit's count improbably high against its peers?

- `binomial_excess`: one-sided exact binomial test of a unit's k of n against the pooled rate of its
  peers (every other unit in the same group, leave-one-out), P(X >= k | n, p_peers). For rare events
  (begging phrases, score-text contradictions) where the peers' rate is the natural null.
- `betabinomial_excess`: the same against a beta-binomial null whose dispersion comes from the peers
  (Williams 1982: Pearson's X^2 / (m - 1) = phi; intra-class correlation rho = (phi - 1) / (n_bar - 1)),
  so honest units that differ among themselves as peers do are not flagged, only a unit whose
  top-box share is improbable even allowing for that spread.
The peers' rate is smoothed by half an event, (K + 0.5) / (N + 1), so that peers who never gave a top
score (rate 0) do not make a single one infinitely improbable.
- `bonferroni`: p * m capped at 1. Flagging where the adjusted p < alpha bounds the chance of flagging
  *any* unit that behaves like its peers at alpha (family-wise false-positive rate).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

__all__ = ["betabinomial_excess", "binomial_excess", "bonferroni"]

Arr = npt.NDArray[np.float64]


def _f(x: npt.ArrayLike) -> Arr:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def binomial_excess(k: npt.ArrayLike, n: npt.ArrayLike, group: npt.ArrayLike | None = None) -> tuple[Arr, Arr]:
    """(p-value, peer rate) per unit: P(X >= k) for X ~ Binomial(n, rate of the other units of its group)."""
    k_, n_ = _f(k), _f(n)
    g = np.zeros(len(k_), dtype=np.int64) if group is None else np.unique(np.asarray(group), return_inverse=True)[1]
    tk, tn = np.bincount(g, k_)[g], np.bincount(g, n_)[g]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(tn - n_ > 0, (tk - k_ + 0.5) / (tn - n_ + 1.0), np.nan)
    p = np.where(k_ <= 0, 1.0, sps.binom.sf(k_ - 1, n_, np.nan_to_num(rate, nan=0.0)))
    return np.where(np.isnan(rate), np.nan, p), rate


def betabinomial_excess(k: npt.ArrayLike, n: npt.ArrayLike, group: npt.ArrayLike | None = None
                        ) -> tuple[Arr, Arr, Arr]:
    """(p-value, peer rate, peer rho) per unit under a beta-binomial fitted to the unit's peers."""
    k_, n_ = _f(k), _f(n)
    g = np.zeros(len(k_), dtype=np.int64) if group is None else np.unique(np.asarray(group), return_inverse=True)[1]
    p_out, rate_out, rho_out = np.full(len(k_), np.nan), np.full(len(k_), np.nan), np.full(len(k_), np.nan)
    for gi in np.unique(g):
        idx = np.flatnonzero(g == gi)
        for j, i in enumerate(idx):
            peers = np.delete(idx, j)
            if len(peers) < 2 or n_[peers].sum() <= 0:
                continue
            pk, pn = k_[peers], n_[peers]
            rate = (pk.sum() + 0.5) / (pn.sum() + 1.0)
            rho = _rho(pk, pn, rate)
            rate_out[i], rho_out[i] = rate, rho
            p_out[i] = _sf(k_[i], n_[i], rate, rho)
    return p_out, rate_out, rho_out


def _rho(k: Arr, n: Arr, rate: float) -> float:
    """Intra-class correlation of the peers from Pearson's dispersion (0 when not overdispersed)."""
    if rate <= 0 or rate >= 1:
        return 0.0
    chi2 = float(np.sum((k - n * rate) ** 2 / (n * rate * (1 - rate))))
    phi = chi2 / (len(k) - 1)
    n_bar = float(np.mean(n))
    if phi <= 1 or n_bar <= 1:
        return 0.0
    return float(min((phi - 1) / (n_bar - 1), 0.99))


def _sf(k: float, n: float, rate: float, rho: float) -> float:
    if k <= 0:
        return 1.0
    if rate <= 0:
        return 0.0
    if rate >= 1:
        return 1.0
    if rho <= 0:
        return float(sps.binom.sf(k - 1, n, rate))
    a = rate * (1 - rho) / rho
    b = (1 - rate) * (1 - rho) / rho
    return float(sps.betabinom.sf(k - 1, int(n), a, b))


def bonferroni(p: npt.ArrayLike, m: int | None = None) -> Arr:
    """Bonferroni-adjusted p-values over `m` tests (default: the non-missing ones)."""
    p_ = _f(p)
    tests = int(np.sum(~np.isnan(p_))) if m is None else m
    return np.minimum(p_ * max(tests, 1), 1.0)
