"""The domain core: policy model, per-creator state and the one pure fold (`projections.fold.fold`).

Imports nothing from Faust or Kafka, reads no clock, draws no random number
(tests/projections/test_purity.py enforces it). Nothing is re-exported here, so
`projections.fold` stays the module and not the function of the same name.
"""
