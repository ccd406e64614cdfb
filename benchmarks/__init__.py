"""Benchmarks of speed and of the accuracy cost of the faster backends."""
