"""streams.positions: a record folded before a restart, delivered again from the journal or journaled again by
intake, is told from a new one."""

from projections.fold import fold
from projections.scores.fold import fold_scores
from projections.scores.state import from_bytes as score_from_bytes, to_bytes as score_to_bytes
from projections.state import from_bytes, to_bytes
from service.policies import load_score_policy, shipped_rulebooks
from streams.positions import delivered_before, input_header, input_origin, record_position

INPUTS = ("t.violations", "t.appeals", "t.exams", "t.metrics")
VIOLATION = {"event_id": "e1", "creator_id": "c1", "occurred_at": "2024-03-01T00:00:00Z", "source": "detector.a", "schema_version": 3,
             "type": "violation_recorded", "violation_id": "v1", "code": "prohibited_goods", "severity": "general"}


def test_the_input_header_names_topic_partition_and_offset_and_reads_back_as_topic_index_and_offset():
    header = input_header("t.appeals", 3, 1234)
    assert header == ("tally-input", b"t.appeals:3:1234")
    assert input_origin([header], INPUTS) == (1, 1234)
    assert input_origin({"tally-input": "t.exams:0:7"}, INPUTS) == (2, 7)


def test_records_without_the_header_or_from_an_unknown_topic_have_no_origin():
    assert input_origin(None, INPUTS) is None  # a deadline event of the scheduler
    assert input_origin([("tally-input", b"t.renamed:0:7")], INPUTS) is None
    assert input_origin([("tally-input", b"garbage")], INPUTS) is None


def test_a_state_knows_what_it_folded_by_journal_offset_and_by_input_offset():
    state = fold(None, VIOLATION, shipped_rulebooks()).state
    record_position(state, 40, (0, 900))
    assert not delivered_before(None, 40, (0, 900))
    assert delivered_before(state, 40, None)  # the same journal record again
    assert delivered_before(state, 75, (0, 900))  # journaled again by intake after a restart: a new journal offset
    assert delivered_before(state, 75, (0, 899))
    assert not delivered_before(state, 75, (0, 901))
    assert not delivered_before(state, 75, (1, 5))  # another input topic
    assert not delivered_before(state, 75, None)
    record_position(state, 30, (0, 10))  # never moves back
    assert (state.position, state.inputs) == (40, {0: 900})


def test_the_positions_are_stored_with_the_state():
    state = fold(None, VIOLATION, shipped_rulebooks()).state
    record_position(state, 40, (2, 900))
    restored = from_bytes(to_bytes(state))
    assert (restored.position, restored.inputs) == (40, {2: 900})
    scores = fold_scores(None, VIOLATION, load_score_policy(None)).state
    record_position(scores, 41, (0, 901))
    restored = score_from_bytes(score_to_bytes(scores))
    assert (restored.position, restored.inputs) == (41, {0: 901})


def test_a_state_stored_before_the_input_offsets_existed_still_reads():
    import msgspec

    from projections import state as stored_form

    state = fold(None, VIOLATION, shipped_rulebooks()).state
    record_position(state, 40, None)
    fields = msgspec.msgpack.decode(stored_form._ENCODER.encode(stored_form._stored(state)))[:-1]  # format 1 without `inputs`
    deflate = stored_form._DEFLATE.copy()
    raw = bytes((stored_form.FORMAT,)) + deflate.compress(msgspec.msgpack.encode(fields)) + deflate.flush()
    restored = from_bytes(raw)
    assert (restored.position, restored.inputs) == (40, {})
