"""The application layer: every mutating action of every kind of process, in one pipeline.

The JSON API and the console are thin adapters over :func:`actions.pipeline.perform`; tests call
it directly. Nothing here knows HTTP.
"""
