"""Canonical model: record schemas and ids."""
