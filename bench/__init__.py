"""Scale benchmarks for Sanad (not part of the test suite; see bench/README.md)."""
