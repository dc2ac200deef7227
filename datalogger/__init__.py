"""The data logger's own plumbing: configuration, JSON logs, writers, run summary, deadline.

Nothing here knows GitHub: ``handler.py`` wires these to ``github_client`` and
``collectors``.
"""
