"""Text intelligence: normalise, redact PII, detect language, segment, score sentiment and emotion,
tag topics, match standard questions and discover new topics — pure functions over Arrow batches."""
