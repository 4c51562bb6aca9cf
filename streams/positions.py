"""Where a folded state stands: in the journal, and in the input topics its records came from. Pure.

A state records the journal offset of the latest record folded into it (`position`) and, per input topic, the offset
of the latest input record folded (`inputs`). Both tell a record delivered again after a restart from a new one
that happens to be refused (too_late, duplicate): it is counted as redelivered, not dead-lettered.
"""

from typing import Any

from streams.signing import header_map


INPUT_HEADER = "tally-input"
"""Header of every journal record intake writes: the input record it carries, as `topic:partition:offset`."""


def input_header(topic: str, partition: int, offset: int) -> tuple[str, bytes]:
    return INPUT_HEADER, f"{topic}:{partition}:{offset}".encode()


def input_origin(headers: Any, input_topics: tuple[str, ...]) -> tuple[int, int] | None:
    """(the input topic's index in `input_topics`, the input offset) of a journal record intake wrote; None for the
    scheduler's deadline events, records published to the journal directly, or an input topic no longer configured.

    Why the fold wants it: a worker killed before its intake committed leaves input records that its successor
    journals again. The journal then holds the event twice, at two offsets; the second is new to the journal and,
    once older than the late-event horizon, would be refused as too_late and dead-lettered, though it was folded
    the first time. A creator's records of one input partition reach the journal in their input order, so one at or
    before the latest input offset a state has folded from that topic is a redelivery."""
    origin = header_map(headers).get(INPUT_HEADER)
    if origin is None:
        return None
    try:
        topic, _, offset = origin.decode().rsplit(":", 2)
        return input_topics.index(topic), int(offset)
    except ValueError:
        return None


def delivered_before(state: Any, offset: int, origin: tuple[int, int] | None) -> bool:
    """Is this journal record (at `offset`, carrying input `origin`) folded into `state` already?"""
    return state is not None and (offset <= state.position or (origin is not None and origin[1] <= state.inputs.get(origin[0], -1)))


def record_position(state: Any, offset: int, origin: tuple[int, int] | None) -> None:
    """Move a (penalty or score) state's positions on past a record just folded into it."""
    state.position = max(state.position, offset)
    if origin is not None:
        state.inputs[origin[0]] = max(state.inputs.get(origin[0], -1), origin[1])
