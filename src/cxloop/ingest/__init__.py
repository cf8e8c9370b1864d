"""Ingest: connectors read exports; the profile maps them onto the canonical model."""
