"""Pure judgement: facts, settings and ``now`` in, decisions out; no I/O."""
