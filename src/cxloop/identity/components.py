"""Connected components of the identifier graph (scipy's union-find over a sparse matrix).

Nodes are identifiers (type, normalised value); every record links all of its identifiers to the
record's first one, so identifiers that ever appear together end up in one component: one customer.
The partition depends only on the set of records, never on the order they were ingested in.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["component_labels"]


def component_labels(n_nodes: int, node: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Component label per node for the undirected edges node[i] -- root[i]."""
    if n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    data = np.ones(len(node), dtype=np.int8)
    graph = coo_matrix((data, (node.astype(np.int64), root.astype(np.int64))), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph.tocsr(), directed=False)
    return labels.astype(np.int64)
