"""The open selection's actions, one module per stage group, each a pipeline ``Action``.

- ``planning``: ``START`` (idempotent by agency and code), ``PANEL``, ``SCHEME``, ``SUBMIT_PLAN``,
  ``ANNOUNCE``
- ``registration``: ``REGISTER``, ``IMPORT`` (a CSV file read by ``csv_import``)
- ``screening``: ``DECIDE``, ``CLOSE_SCREENING``
- ``assessment``: ``DECLARE``, ``SCORE``, ``READ_SCORES`` (a guarded read whose refusals are
  recorded), ``CLOSE_COMPONENT``
- ``plenary``: ``VOTE``, ``CLOSE_PLENARY``
- ``appointment``: ``APPOINT``, ``CANCEL``

``common`` holds the roles, who sees a selection, and the two ways to act: a typed workflow update
(stage-level) or a gated SQL write (candidate-level).
"""
