"""Pure judgement over collected facts: no I/O, ``now`` and settings are arguments."""
