"""Benchmarks behind the ``lmd_benchmark`` console script; each module has ``main(argv) -> int``."""
