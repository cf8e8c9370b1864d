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
    """(p-value, peer rate, peer rho) per unit under a beta-binomial fitted to the unit's peers (the other
    units of its group), vectorised: every leave-one-out sum is the group's total less the unit's own term.

    Pearson's X^2 of the peers around their rate r expands to
    (sum k^2/n - 2 r sum k + r^2 sum n) / (r (1 - r)), so it needs only three group sums."""
    k_, n_ = _f(k), _f(n)
    g = np.zeros(len(k_), dtype=np.int64) if group is None else np.unique(np.asarray(group), return_inverse=True)[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        kk = np.where(n_ > 0, k_ * k_ / n_, 0.0)
        m = np.bincount(g)[g] - 1.0
        sk, sn, skk = (np.bincount(g, x)[g] - x for x in (k_, n_, kk))
        rate = (sk + 0.5) / (sn + 1.0)
        chi2 = (skk - 2 * rate * sk + rate**2 * sn) / (rate * (1 - rate))
        phi = chi2 / (m - 1)
        n_bar = sn / m
        rho = np.where((phi > 1) & (n_bar > 1), np.minimum((phi - 1) / (n_bar - 1), 0.99), 0.0)
    ok = (m >= 2) & (sn > 0)
    p = np.full(len(k_), np.nan)
    plain = ok & (rho <= 0)
    p[plain] = sps.binom.sf(k_[plain] - 1, n_[plain], rate[plain])
    over = ok & (rho > 0)
    if over.any():
        r, h = rate[over], rho[over]
        p[over] = sps.betabinom.sf(k_[over] - 1, n_[over].astype(np.int64), r * (1 - h) / h, (1 - r) * (1 - h) / h)
    p = np.where(ok & (k_ <= 0), 1.0, p)
    return p, np.where(ok, rate, np.nan), np.where(ok, rho, np.nan)


def bonferroni(p: npt.ArrayLike, m: int | None = None) -> Arr:
    """Bonferroni-adjusted p-values over `m` tests (default: the non-missing ones)."""
    p_ = _f(p)
    tests = int(np.sum(~np.isnan(p_))) if m is None else m
    return np.minimum(p_ * max(tests, 1), 1.0)
