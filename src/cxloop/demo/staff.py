"""Agents, teams and field engineers of the demo company (sized to the volume of their channel)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxloop.demo.vocab import REPAIR_CENTERS

__all__ = ["Staff", "make_staff"]

# source name -> (id prefix, first number, teams, contacts per agent over the window, min, max)
_POOLS = {
    "hotline": ("A", 1001, ("热线一组", "热线二组", "热线三组", "投诉处理组"), 900, 12, 400),
    "chat": ("C", 2001, ("在线客服一组", "在线客服二组"), 900, 8, 300),
    "wechat": ("W", 4001, ("微信客服组",), 900, 4, 150),
    "field_service": ("E", 3001, REPAIR_CENTERS, 250, 8, 600),
}


@dataclass
class Staff:
    """Parallel arrays over all staff; `pools` maps a source name to the staff indices that serve it."""

    agent_id: np.ndarray
    team: np.ndarray
    partner: np.ndarray  # repair centre of a field engineer, else ""
    pools: dict[str, np.ndarray]

    def pool(self, source: str) -> np.ndarray:
        return self.pools[source]


def make_staff(volumes: dict[str, int], rng: np.random.Generator) -> Staff:
    """Staff for the expected contact `volumes` per service source."""
    ids: list[str] = []
    teams: list[str] = []
    partners: list[str] = []
    pools: dict[str, np.ndarray] = {}
    for source, (prefix, first, team_names, per_agent, lo, hi) in _POOLS.items():
        k = int(np.clip(volumes.get(source, 0) // per_agent, lo, hi))
        start = len(ids)
        ids += [f"{prefix}{first + i}" for i in range(k)]
        chosen = [team_names[j] for j in rng.integers(0, len(team_names), k)]
        field = source == "field_service"
        teams += ["上门服务组"] * k if field else chosen
        partners += chosen if field else [""] * k
        pools[source] = np.arange(start, start + k, dtype=np.int32)
    return Staff(np.array(ids, dtype=object), np.array(teams, dtype=object), np.array(partners, dtype=object),
                 pools)
