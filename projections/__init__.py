"""The domain core: policy model, per-creator state and the one pure fold.

Imports nothing from Faust or Kafka, reads no clock, draws no random number
(tests/test_purity.py enforces it).
"""

from projections.fold import Folded, Outcome, fold, new_state
from projections.rulebook import Rulebook, Rulebooks

__all__ = ["Folded", "Outcome", "Rulebook", "Rulebooks", "fold", "new_state"]
