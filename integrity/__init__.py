"""What makes the ledger tamper-evident outside the server: the Ed25519 signatures of Merkle
checkpoints (``checkpoint_signing``) and the export format with its pseudonyms (``export``).

Pure computation over ``domain.canonical`` and ``domain.merkle`` plus the settings that carry the
keys: no database, no Temporal, no network. That is why it is its own layer just above ``domain``:
the store signs checkpoints with it, the API serves exports with it, and the offline verifier
(``cli.verify``) needs nothing else.
"""
