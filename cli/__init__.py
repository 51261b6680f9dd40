"""Command-line entry points, the top layer beside ``worker.py``: each module is one command a
person runs (``python -m cli.<name>``, most of them wrapped by a ``make`` target).

=================  ===============================================  ==============
module             what it does                                     make target
=================  ===============================================  ==============
``devstack``       Temporal dev server + worker + API, one Ctrl-C   ``make run``
``demo``           one promotion end to end against a running stack ``make demo``
``token``          a development bearer token                        ``make token``
``reconcile``      a process's ledger against its Temporal history
``verify``         an export against signed checkpoints, offline
=================  ===============================================  ==============

Nothing below this layer may import it (the layer contract in ``pyproject.toml``).
"""
