"""`[text]` in cxloop.toml: the enrichment pipeline's settings, PII redaction and the optional LLM endpoint.

Read by `cxloop enrich` (docs/text_pipeline.md) and `cxloop topics suggest --llm`. Unknown keys are errors
naming the key (the CLI exits 4).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_ORDER_PATTERNS", "LlmSettings", "PiiSettings", "TextSettings"]

# Order numbers are workspace-specific; the default catches a number introduced by an order word.
DEFAULT_ORDER_PATTERNS = [
    r"(?:订单号|订单编号|单号|订单|order\s*(?:no\.?|number|#|id)?)\s*[:：#]?\s*([A-Za-z0-9][A-Za-z0-9-]{7,29})",
]


class PiiSettings(BaseModel):
    """`[text.pii]`: what the redactor removes beyond phones, ID and bank cards and e-mails."""

    model_config = ConfigDict(extra="forbid")
    order_patterns: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ORDER_PATTERNS),
        description="Regexes of order numbers to redact as [ORDER]; with a capturing group only the group.")
    redact_addresses: bool = Field(default=True, description="Redact street addresses (province/city/road/number) as "
                                                     "[ADDRESS].")


class LlmSettings(BaseModel):
    """`[text.llm]`: an OpenAI-compatible endpoint that names discovered topics (`topics suggest --llm`)."""

    model_config = ConfigDict(extra="forbid")
    base_url: str = Field(min_length=1, description="The server's OpenAI-compatible root, e.g. "
                                                    "http://localhost:11434/v1.")
    model: str = Field(min_length=1, description="The model name the server knows.")
    api_key_env: str | None = Field(default="OPENAI_API_KEY", description="Environment variable holding the API key "
                                                                  "(the key itself is never in cxloop.toml).")
    timeout_s: float = Field(default=30.0, gt=0, description="Seconds to wait for one answer.")
    max_examples: int = Field(default=8, ge=1, le=50, description="Redacted example texts sent per candidate.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature (0: deterministic).")


class TextSettings(BaseModel):
    """`[text]`: how `cxloop enrich` normalises, redacts and classifies texts."""

    model_config = ConfigDict(extra="forbid")
    traditional_to_simplified: bool = Field(default=False, description="Convert traditional Chinese to simplified "
                                                               "before analysis (the stored text is unchanged).")
    min_classifier_confidence: float = Field(default=0.5, description="A trained topic classifier's label below this "
                                                              "probability is not assigned.")
    batch_size: int = Field(default=2000, description="Records per enrichment batch (memory vs. progress granularity).")
    pii: PiiSettings = Field(default_factory=lambda: PiiSettings(), description="PII redaction.")
    llm: LlmSettings | None = Field(default=None, description="The optional LLM endpoint; off when absent.")
