"""Benchmark: requests, wall time and memory of one run at organisation scale.

``bench.generate`` builds a deterministic synthetic organisation for the fake
GitHub and, independently of ``collectors/``, the datasets a correct run must
produce from it. ``python -m bench`` (``make bench``) starts the fake in a
subprocess, runs the handler in a child process, and prints one table.
"""
