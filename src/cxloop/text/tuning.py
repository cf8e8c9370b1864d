"""Fine-tuning the sentence encoder's top layer(s) for a classification task (embeddings backend only).

The frozen encoder plus linear models plateau on fine-grained intents (BANKING77: 3-fold CV on train 0.928);
a fine-tuned encoder is what the published 93.7 (BERT) needs. Fine-tuning all of MiniLM-L6 on the CPU costs
~4 minutes per epoch on 2 cores, so only the top `layers` transformer layers are trained, on token states
computed once by the frozen layers below (`SentenceEncoder.encode_with_states`): one epoch over 8.5k BANKING77
texts then takes ~12 s for one tuned layer. The tuned layers get a softmax head over mean-pooled tokens,
trained with AdamW (linear warm-up and decay), label smoothing 0.1 and dropout as in pre-training; texts are
batched by length (little padding), the batch order shuffled each epoch with a fixed seed.

The classifier combines the tuned model's probabilities with its own (`combine`: a normalised geometric mean,
weight chosen by cross-validation on BANKING77 train, see BENCHMARKS.md). The variants (one to six tuned
layers, 5-15 epochs) were compared on a GPU and scored alike in the combination, so the cheapest (one layer,
8 epochs, learning rate 3e-4, head 3e-3) is used; `benchmarks/cv_classify.py` gives its train-only CV figure.

The tuned weights are kept as NumPy arrays (pickled with the classifier, ~7 MB per layer); the torch modules
are rebuilt from the installed encoder on first use after loading.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from scipy.special import softmax

from cxloop.errors import UsageError
from cxloop.text.embeddings import SentenceEncoder, TokenStates

__all__ = ["EncoderTuner", "combine"]

SEED = 0
LABEL_SMOOTHING = 0.1
WARMUP = 0.06
WEIGHT_DECAY = 0.01


def combine(base: np.ndarray, tuned: np.ndarray, weight: float) -> np.ndarray:
    """Normalised weighted geometric mean of two probability matrices (rows sum to 1)."""
    log = (np.log(np.clip(base, 1e-12, None)) + weight * np.log(np.clip(tuned, 1e-12, None))) / (1.0 + weight)
    return np.asarray(softmax(log, axis=1), dtype=np.float64)


def _additive_mask(mask: Any, dtype: Any) -> Any:
    """(batch, tokens) 1/0 attention mask -> the (batch, 1, 1, tokens) additive mask a BertLayer takes."""
    import torch

    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class EncoderTuner:
    """The encoder's top `layers` layers plus a linear head, trained on cached token states."""

    def __init__(self, layers: int = 1, epochs: int = 8, lr: float = 3e-4, head_lr: float = 3e-3) -> None:
        if layers < 1 or epochs < 1:
            raise UsageError(f"fine-tuning needs at least one layer and one epoch, not {layers} / {epochs}")
        self.layers = layers
        self.epochs = epochs
        self.lr = lr
        self.head_lr = head_lr
        self.n_classes = 0
        self._weights: dict[str, np.ndarray] = {}
        self._module: Any = None

    # --- torch modules ---------------------------------------------------------------------------------
    def _build(self, n_classes: int) -> Any:
        import torch

        bert = SentenceEncoder.shared().model[0].auto_model
        top = torch.nn.ModuleList(copy.deepcopy(list(bert.encoder.layer[-self.layers:])))
        head = torch.nn.Linear(bert.config.hidden_size, n_classes)
        return torch.nn.ModuleDict({"top": top, "head": head}).float()

    def _forward(self, module: Any, states: Any, mask: Any) -> Any:
        h = states.float()
        extended = _additive_mask(mask, h.dtype)
        for layer in module["top"]:
            h = layer(h, attention_mask=extended)
            h = h[0] if isinstance(h, tuple) else h
        weights = mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return module["head"](pooled)

    # --- training and prediction -----------------------------------------------------------------------
    def fit(self, states: TokenStates, codes: np.ndarray, n_classes: int) -> EncoderTuner:
        """Train on the token states of the training texts and their class codes (0 .. n_classes - 1)."""
        import torch

        if states.layers != self.layers:
            raise UsageError(f"token states enter the top {states.layers} layers, the tuner trains {self.layers}")
        torch.manual_seed(SEED)
        rng = np.random.default_rng(SEED)
        module = self._build(n_classes)
        module.train()
        optimiser = torch.optim.AdamW(
            [{"params": module["top"].parameters(), "lr": self.lr},
             {"params": module["head"].parameters(), "lr": self.head_lr}],
            weight_decay=WEIGHT_DECAY,
        )
        steps = self.epochs * len(states.rows)
        warm = max(1, int(WARMUP * steps))
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
        )
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
        targets = [torch.as_tensor(codes[rows], dtype=torch.long) for rows in states.rows]
        for _ in range(self.epochs):
            for b in rng.permutation(len(states.rows)):
                loss = loss_fn(self._forward(module, states.states[b], states.masks[b]), targets[b])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
        module.eval()
        self.n_classes = n_classes
        self._module = module
        self._weights = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
        return self

    def predict_proba(self, states: TokenStates) -> np.ndarray:
        """Class probabilities of the texts whose token states are given, in input order."""
        import torch

        if not self._weights:
            raise UsageError("the encoder tuner is not trained")
        module = self._module_ready()
        out = np.zeros((len(states), self.n_classes), dtype=np.float64)
        with torch.inference_mode():
            for rows, h, mask in zip(states.rows, states.states, states.masks, strict=True):
                out[rows] = torch.softmax(self._forward(module, h, mask), dim=-1).double().numpy()
        return out

    def _module_ready(self) -> Any:
        import torch

        if self._module is None:
            module = self._build(self.n_classes)
            module.load_state_dict({k: torch.from_numpy(v) for k, v in self._weights.items()})
            module.eval()
            self._module = module
        return self._module

    # --- persistence: NumPy weights only ---------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_module"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
