"""Identity resolution: normalise identifiers and link them into customers."""
