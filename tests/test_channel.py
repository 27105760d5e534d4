"""Reading JSON lines from another process (autograder/channel.py): what arrives in pieces,
what is not JSON, what is too long, and a writer that goes away."""

import os

import pytest

from autograder.channel import Closed, LineReader, LineTooLong


@pytest.fixture
def pipe():
    read_end, write_end = os.pipe()
    yield LineReader(read_end, max_bytes=20_000), write_end
    for fd in (read_end, write_end):
        try:
            os.close(fd)
        except OSError:
            pass


def test_is_a_line_that_arrives_in_pieces_read_whole(pipe):
    reader, w = pipe
    os.write(w, b'{"a": ')
    assert reader.next(0.05) is None
    os.write(w, b'1}\n{"b": 2}\n')
    assert reader.next(1) == {"a": 1}
    assert reader.next(1) == {"b": 2}


def test_is_anything_but_a_json_object_an_empty_message(pipe):
    reader, w = pipe
    os.write(w, b'[1, 2]\nnot json\n' + b"[" * 10_000 + b"\n" + b'"text"\n')
    assert reader.available() == [{}, {}, {}, {}]
    os.write(w, b'{"after": "them"}\n')
    assert reader.next(1) == {"after": "them"}


def test_is_a_line_past_the_cap_refused_before_it_is_whole(pipe):
    reader, w = pipe
    os.write(w, b"x" * 30_000)
    with pytest.raises(LineTooLong):
        reader.next(1)


def test_does_a_closed_pipe_say_so_after_the_lines_already_sent(pipe):
    reader, w = pipe
    os.write(w, b'{"last": true}\n')
    os.close(w)
    assert reader.available() == [{"last": True}]
    with pytest.raises(Closed):
        reader.available()
    with pytest.raises(Closed):
        reader.next(1)
