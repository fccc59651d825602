"""`ponder ask` / `ponder guide` / `ponder chats` against the fake Messages API."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.chat.store import ConversationStore
from core.db import connect
from tests.fake_claude import FAKE_API_KEY, Cite, FakeClaude, Reply
from tests.processes import sigint_as_at_a_terminal
from tui.cli import main

TOKENS_LINE = re.compile(r"^tokens: in=(\d+) out=(\d+) cache_write=(\d+) cache_read=(\d+)$")
REPO = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tokens(out: str) -> tuple[int, int, int, int]:
    match = TOKENS_LINE.match(out.rstrip("\n").splitlines()[-1])
    assert match, f"last line is not the tokens line: {out!r}"
    return tuple(int(g) for g in match.groups())  # type: ignore[return-value]


def messages_of(source_id: int = 1) -> list:
    conn = connect()
    try:
        store = ConversationStore(conn)
        conversation = store.latest_or_create(source_id)
        return store.messages(conversation.id)
    finally:
        conn.close()


def test_ask_streams_cites_saves_and_prints_tokens(fake_claude: FakeClaude, capsys) -> None:
    fake_claude.queue(Reply.text("The speaker says ", Cite(1, 2, "spacing works"), "."))
    code, out, err = run(capsys, "ask", "1", "What is the claim?")
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(r"The speaker says spacing works \[\d\d:\d\d:\d\d\]\.", lines[0])
    _in, out_, write, read = tokens(out)
    assert out_ == 3 and write > 0 and read == 0
    assert "cost: ~$" in out
    stored = messages_of()
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[0].content == "What is the claim?"
    assert stored[1].content == "The speaker says spacing works."
    assert stored[1].citations and stored[1].usage.cache_write_tokens == write

    # The second question goes to the same conversation and reads the cache.
    code, out, _ = run(capsys, "ask", "1", "And why?")
    assert code == 0
    _, _, write2, read2 = tokens(out)
    assert write2 == 0 and read2 == write
    assert len(messages_of()) == 4
    assert len(fake_claude.last_body["messages"]) == 3


def test_ask_new_conversation_and_listing(fake_claude, capsys) -> None:
    assert run(capsys, "ask", "1", "First chat")[0] == 0
    assert run(capsys, "ask", "1", "Second chat", "--new")[0] == 0
    code, out, _ = run(capsys, "chats", "1")
    assert code == 0
    assert "Second chat" in out.splitlines()[0] and "First chat" in out.splitlines()[1]
    code, out, _ = run(capsys, "chats", "1", "--show", "1")
    assert "## you\nFirst chat" in out and "## claude" in out and "tokens: in=" in out


def test_options_work_between_positionals_as_in_the_readme(fake_claude, capsys) -> None:
    assert run(capsys, "ask", "1", "First chat")[0] == 0
    code, _, err = run(capsys, "ask", "1", "--new", "Quiz me on this talk")
    assert code == 0, err
    assert [m.content for m in messages_of() if m.role == "user"] == ["Quiz me on this talk"]


def test_escape_codes_in_answers_are_neutralised(fake_claude, capsys) -> None:
    fake_claude.queue(Reply.text("Hi \x1b]0;pwned\x07 there \x1b[31mred"))
    code, out, _ = run(capsys, "ask", "1", "Q")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "␛]0;pwned" in out


def test_guide_streams_saves_and_shows_without_claude(fake_claude, capsys) -> None:
    fake_claude.queue(Reply.text("1. **Idea** — ", Cite(0, 1, "explained"), "."))
    code, out, err = run(capsys, "guide", "1", "ideas")
    assert code == 0, err
    assert out.startswith("1. **Idea** — explained [")
    tokens(out)
    assert fake_claude.last_body["messages"][0]["content"][0]["type"] == "document"
    requests = len(fake_claude.requests)
    code, out, _ = run(capsys, "guide", "1", "ideas", "--show")
    assert code == 0 and out.startswith("1. **Idea** — explained [")
    assert len(fake_claude.requests) == requests  # no call to Claude
    code, out, _ = run(capsys, "guide", "1")
    assert "ideas" in out and "saved" in out and "not written yet" in out


def test_guide_errors_are_one_line(fake_claude, capsys) -> None:
    code, _, err = run(capsys, "guide", "1", "poems")
    assert code == 1 and "choose one of: preread, ideas" in err and err.count("\n") == 1
    code, _, err = run(capsys, "guide", "1", "people", "--show")
    assert code == 1 and "ponder guide 1 people" in err


def test_unknown_source(fake_claude, capsys) -> None:
    code, _, err = run(capsys, "ask", "99", "Q")
    assert code == 1 and "no source with id 99" in err


def test_no_api_key_says_how_and_keeps_the_question(capsys, monkeypatch) -> None:
    code, _out, err = run(capsys, "ask", "1", "Keep me")
    assert code == 1
    assert "ANTHROPIC_API_KEY" in err and "config" in err and err.count("\n") == 1
    [draft] = messages_of()
    assert draft.status == "draft" and draft.content == "Keep me"
    # With a key, `ponder ask ID` sends the kept question.
    with FakeClaude() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        code, _out, err = run(capsys, "ask", "1")
        assert code == 0, err
        assert fake.last_body["messages"][0]["content"][1]["text"] == "Keep me"
    assert [m.status for m in messages_of()] == ["complete", "complete"]


def test_a_key_with_a_line_break_is_malformed_not_offline(fake_claude, capsys, monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY[:10] + "\n" + FAKE_API_KEY[10:])
    code, _out, err = run(capsys, "ask", "1", "Keep me")
    assert code == 1
    assert "malformed" in err and "network" not in err and err.count("\n") == 1
    assert FAKE_API_KEY[10:] not in err
    [draft] = messages_of()
    assert draft.status == "draft" and draft.content == "Keep me"
    assert fake_claude.message_requests == []  # nothing was sent


def test_offline_keeps_a_draft_and_retry_sends_it(fake_claude, capsys, monkeypatch) -> None:
    real = fake_claude.base_url
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{closed}")
    code, _out, err = run(capsys, "ask", "1", "Offline?")
    assert code == 1
    assert "draft" in err and "ponder ask 1" in err and err.count("\n") == 1
    assert [m.status for m in messages_of()] == ["draft"]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", real)
    code, _out, err = run(capsys, "ask", "1")
    assert code == 0, err
    assert [(m.role, m.status) for m in messages_of()] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]


def test_nothing_to_resend(fake_claude, capsys) -> None:
    assert run(capsys, "ask", "1", "Q")[0] == 0
    code, _, err = run(capsys, "ask", "1")
    assert code == 1 and "nothing to re-send" in err


@pytest.mark.parametrize("status", [401, 403, 429, 529])
def test_http_errors_exit_1_with_a_clear_line(fake_claude, capsys, status) -> None:
    fake_claude.queue(*[Reply.error(status, echo_key_in_error=True)] * 3)
    code, _, err = run(capsys, "ask", "1", "Q")
    assert code == 1
    assert err.startswith("ponder: ") and err.count("\n") == 1
    assert str(status) in err
    assert FAKE_API_KEY not in err
    assert ("retry: ponder ask 1" in err) == (status in (429, 529))


def test_mid_stream_error_keeps_partial_and_exits_1(fake_claude, capsys) -> None:
    fake_claude.queue(Reply.text("Partial ", "answer ", "lost", stream_error_after=2))
    code, out, err = run(capsys, "ask", "1", "Q")
    assert code == 1
    assert out == "Partial answer \n"
    assert "mid-stream" in err and "retry: ponder ask 1" in err
    answer = messages_of()[1]
    assert answer.status == "error" and answer.content == "Partial answer "
    # Retrying replaces the broken answer.
    code, out, _ = run(capsys, "ask", "1")
    assert code == 0
    assert [m.status for m in messages_of()] == ["complete", "complete"]


def test_timeout_option(fake_claude, capsys) -> None:
    fake_claude.queue(*[Reply(hang=True)] * 3)
    started = time.monotonic()
    code, _, err = run(capsys, "ask", "1", "Q", "--timeout", "0.3")
    fake_claude.release_hangs()
    assert code == 1 and "timeout" in err
    assert time.monotonic() - started < 10


def _spawn_ask(fake: FakeClaude, question: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["ANTHROPIC_BASE_URL"] = fake.base_url
    env["ANTHROPIC_API_KEY"] = FAKE_API_KEY
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "ask", "1", question],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=sigint_as_at_a_terminal,
    )


def _read_at_least(process: subprocess.Popen[bytes], size: int) -> bytes:
    assert process.stdout is not None
    data = b""
    while len(data) < size:
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        data += chunk
    return data


def test_ctrl_c_mid_stream_keeps_the_partial_answer_and_exits_130(fake_claude) -> None:
    fake_claude.queue(Reply.tokens(2000, tokens_per_second=200))
    process = _spawn_ask(fake_claude, "Long answer")
    try:
        early = _read_at_least(process, 50)
        assert early.startswith(b"word ")
        process.send_signal(signal.SIGINT)
        _rest, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert b"partial answer is kept" in err
    assert b"Traceback" not in err
    answer = messages_of()[1]
    assert answer.status == "stopped"
    assert len(answer.content) >= 50
    assert answer.content.startswith("word ") and len(answer.content) < 2000 * 5
    conn = connect()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_sigterm_mid_stream_keeps_the_partial_answer_as_ctrl_c_does(fake_claude, signum) -> None:
    fake_claude.queue(Reply.tokens(2000, tokens_per_second=200))
    process = _spawn_ask(fake_claude, "Long answer")
    try:
        assert _read_at_least(process, 50).startswith(b"word ")
        process.send_signal(signum)
        _rest, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum, err
    assert b"partial answer is kept" in err and b"Traceback" not in err
    question, answer = messages_of()
    assert question.content == "Long answer"
    assert answer.status == "stopped" and answer.content.startswith("word ")
    assert len(answer.content) >= 50


def test_ctrl_c_before_any_text_says_nothing_was_kept(fake_claude) -> None:
    fake_claude.queue(Reply(hang=True))
    process = _spawn_ask(fake_claude, "Too slow")
    try:
        deadline = time.monotonic() + 30
        while not fake_claude.message_requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake_claude.message_requests, "the question never reached the fake Claude"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert b"partial answer" not in err and b"nothing was kept" in err, err
    assert b"ponder ask 1" in err and b"Traceback" not in err
    assert out == b""
    assert [m.content for m in messages_of() if m.role == "user"] == ["Too slow"]


def test_killed_mid_stream_leaves_a_consistent_database(fake_claude) -> None:
    fake_claude.queue(Reply.tokens(2000, tokens_per_second=200))
    process = _spawn_ask(fake_claude, "Long answer")
    try:
        _read_at_least(process, 50)
        time.sleep(0.8)  # past one periodic save
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    conn = connect()
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store = ConversationStore(conn)  # opening recovers the orphaned answer
        conversation = store.latest_or_create(1)
        question, answer = store.messages(conversation.id)
    finally:
        conn.close()
    assert question.status == "complete"
    assert answer.status == "stopped" and answer.content.startswith("word ")
