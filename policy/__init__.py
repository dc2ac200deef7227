"""Pure judgement: facts (and ``now`` and the settings) in, checks and reasons out.

No module here does I/O, reads a clock or imports a collector's client code;
every function is tested as a literal table (``tests/test_policy*.py``).
"""
