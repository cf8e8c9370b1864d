"""Golden tests. Their demo workspace (`demo_20k`, the real `cxloop demo` with 20k records, seed 7) is in
tests/conftest.py, shared with the documentation tests (tests/docs), which work on a copy of it."""
