"""Hand-run benchmarks (see bench/README.md). Never imported by the portal itself."""
