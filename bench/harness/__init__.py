"""Pieces of bench/run_bench.py, one module per measurement."""
