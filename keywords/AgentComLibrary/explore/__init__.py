"""The scenario explorer: generated operations against a live hub, judged by the contract
checker and the ledger, a failure shrunk to a plain-language reproduction (docs/explore.md).

``ops`` (the operations and their Hypothesis strategy), ``model`` (which drawn operations
apply), ``runner`` (one live example through the library's keywords), ``findings`` (what
a failure was), ``search`` (Hypothesis: search, cache, shrink), ``render`` (Robot lines
and the reproduction file), ``report`` (the log's summary).
"""
