"""A newcomer's first hour, scripted: a fresh folder outside the checkout, every command's
--help, the bad inputs people actually type (each one line, a non-zero exit, no traceback),
`sources` / `status` / `remove` / `doctor` on a built index, and progress bars on a terminal but
not in a pipe. The deterministic hash-384 embedder keeps it fast; the CLI is the real click
group, and the progress test runs the real `remix-assistant` process on a pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.embedding import E5_NAME, embedder_name, embedder_setting
from assistant.slack.fakeapi import FakeSlack

from corpora import SMALL_CORPUS, write_corpus

REPO = Path(__file__).resolve().parents[1]
BOT = "xoxb-4242-NEWCOMERSECRET"


@pytest.fixture
def newcomer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder outside the repo as the current directory, a private user data dir, and
    no ASSISTANT_ / SLACK_ variables from the caller's shell."""
    for name in list(os.environ):
        if name.startswith(("ASSISTANT_", "SLACK_")):
            monkeypatch.delenv(name)
    home = tmp_path / "newcomer"
    home.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash-384")
    return home


@pytest.fixture
def built(newcomer: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small corpus in ./docs, a restricted file among it, ingested into ./ix."""
    corpus = write_corpus(newcomer / "docs", {
        **SMALL_CORPUS,
        "board/minutes.txt": "Title: Board minutes\n\nThe board met in Luleå on 3 March 2020.\n",
        "access.toml": '[[restrict]]\npaths = ["board/**"]\nchannels = ["C0BOARD"]\n',
    })
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(newcomer / "ix"))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(newcomer / "data"))
    result = run("ingest")
    assert result.exit_code == 0, result.output
    return corpus


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result, *needles: str) -> str:
    """Exit status != 0, no traceback, exactly one line saying what went wrong."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    text = result.output  # stdout and stderr as the user sees them
    assert "Traceback" not in text
    errors = [line for line in text.splitlines() if line.lower().startswith("error:")]
    assert len(errors) == 1, text
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append(prefix + (name,))
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, prefix + (name,)))
    return paths


# -- help --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [()] + _command_paths(main), ids=lambda p: " ".join(p) or "main")
def test_every_help_has_an_example(newcomer: Path, path: tuple[str, ...]):
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert "remix-assistant " + " ".join(path) in result.output


def test_the_command_list_is_not_cut_short(newcomer: Path):
    listing = run("--help").output.split("Commands:")[1].split("Example")[0]
    assert "..." not in listing
    for name, command in main.commands.items():
        first_sentence = " ".join(command.get_short_help_str(limit=10_000).split())
        assert first_sentence in " ".join(listing.split()), name


# -- where things are --------------------------------------------------------------------------

def test_outside_the_project_the_error_says_where_it_looked_and_what_to_set(
        newcomer: Path, tmp_path: Path):
    line = assert_one_line_error(run("ask", "What is REMIX?"), "ASSISTANT_CORPUS_DIR")
    looked = tmp_path / "xdg" / "remix-assistant"
    assert str(looked / "index") in line and str(looked / "corpus") in line
    assert "user data dir" in line


def test_inside_the_project_defaults_are_the_project_root_from_any_subfolder(
        monkeypatch: pytest.MonkeyPatch):
    from assistant.config import load_settings, project_root

    for name in ("ASSISTANT_CORPUS_DIR", "ASSISTANT_INDEX_DIR", "ASSISTANT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(REPO / "assistant" / "memory")
    assert project_root() == REPO
    settings = load_settings()
    assert (settings.corpus_dir, settings.index_dir) == (REPO / "corpus", REPO / "index")


def test_the_user_data_dir_is_used_when_its_corpus_exists(newcomer: Path, tmp_path: Path):
    write_corpus(tmp_path / "xdg" / "remix-assistant" / "corpus")
    result = run("ask", "Where was the kick-off meeting held?")
    assert result.exit_code == 0, result.output
    assert "Kemi" in result.output
    assert (tmp_path / "xdg" / "remix-assistant" / "index" / "current").exists()


# -- bad inputs --------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (("draft", "report", "--format", "docx", "--out", "/nonexistent/dir/x.docx"), "/nonexistent/dir"),
    (("draft", "past-events", "--out", "."), "directory"),
    (("draft", "no-such-section"), "no-such-section"),
    (("draft", "summary", "--period", "sometime"), "period"),
    (("draft", "summary", "--template", "missing.docx", "--format", "docx"), "missing.docx"),
    (("events", "--from", "not a date"), "not a date"),
    (("events", "--status", "maybe"), "maybe"),
    (("regions", "--role", "boss"), "boss"),
    (("remove", "never-indexed.txt"), "never-indexed.txt"),
    (("sources", "--index", "/nonexistent/index"), "/nonexistent/index"),
    (("ask",), "QUESTION"),
    (("eval", "missing-qa.jsonl"), "missing-qa.jsonl"),
])
def test_bad_inputs_get_one_line(built: Path, args: tuple[str, ...], needle: str):
    assert_one_line_error(run(*args), needle)


def test_a_bad_setting_names_its_variable(built: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_K", "0")
    assert_one_line_error(run("ask", "What is REMIX?"), "ASSISTANT_K")


def test_a_file_that_cannot_be_written_is_one_line_whoever_writes_it(built: Path):
    result = run("feedback", "export", "--out", "/nonexistent/dir/feedback.jsonl")
    # no feedback yet: nothing to write, said on one line and exit 0; never a traceback
    assert "Traceback" not in result.output


def test_the_embedder_advice_is_a_value_that_works(built: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash-256")
    line = assert_one_line_error(run("ask", "Where was the kick-off meeting held?"),
                                 "ASSISTANT_EMBEDDER=")
    advised = line.split("ASSISTANT_EMBEDDER=")[1].split()[0].strip("`'.,")
    monkeypatch.setenv("ASSISTANT_EMBEDDER", advised)
    result = run("ask", "Where was the kick-off meeting held?")
    assert result.exit_code == 0, result.output
    # e5's index says 'e5-small-q4': that name works as a setting too, and so does 'e5'
    assert embedder_name(E5_NAME) == E5_NAME
    assert embedder_setting(E5_NAME) == "e5" and embedder_name(embedder_setting(E5_NAME)) == E5_NAME


# -- what the bot knows ------------------------------------------------------------------------

def test_sources_lists_documents_with_visibility_and_hides_them_from_others(built: Path):
    everything = json.loads(run("sources", "--json").output)
    docs = {d["doc"]: d for d in everything["documents"]}
    assert set(docs) == {"kickoff.txt", "regions.md", "bees.txt", "board/minutes.txt"}
    assert docs["board/minutes.txt"]["visibility"] == {"restricted": True,
                                                       "channels": ["C0BOARD"], "users": []}
    assert docs["kickoff.txt"]["visibility"]["restricted"] is False
    assert docs["kickoff.txt"]["files"] == [str((built / "kickoff.txt").resolve())]
    assert docs["kickoff.txt"]["modified"] and everything["chunks"] == sum(
        d["chunks"] for d in docs.values())
    elsewhere = json.loads(run("sources", "--json", "--as-channel", "C0OTHER").output)
    assert {d["doc"] for d in elsewhere["documents"]} == set(docs) - {"board/minutes.txt"}
    table = run("sources").output
    assert "restricted: C0BOARD" in table and "REMIX kick-off meeting" in table


def test_status_shows_the_index_and_settings_but_never_a_secret(
        built: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    text = run("status").output
    status = json.loads(run("status", "--json").output)
    assert "NEWCOMERSECRET" not in text + json.dumps(status)
    assert status["settings"]["SLACK_BOT_TOKEN"] == {"value": "set (hidden)", "set": True}
    assert status["settings"]["ASSISTANT_K"] == {"value": 5, "set": False}
    index = status["index"]
    assert index["embedder"] == "hash-384" and index["documents"] == 4
    assert index["restricted_documents"] == 1 and index["last_ingest"]
    sources = json.loads(run("sources", "--json").output)
    assert index["chunks"] == sources["chunks"]


def test_remove_takes_a_document_out_and_ingest_brings_it_back(built: Path):
    result = run("remove", str(built / "bees.txt"))
    assert result.exit_code == 0, result.output
    assert "removed 1 document" in result.output and "next `remix-assistant ingest`" in result.output
    docs = {d["doc"] for d in json.loads(run("sources", "--json").output)["documents"]}
    assert "bees.txt" not in docs and "kickoff.txt" in docs
    assert (built / "bees.txt").is_file()  # the file is the user's: never deleted
    answer = json.loads(run("ask", "--json", "How do beekeepers harvest honey?").output)
    assert all(c["doc"] != "bees.txt" for c in answer["citations"])
    assert run("remove", "board").exit_code == 0  # a folder: every document under it
    assert_one_line_error(run("remove", "bees.txt"), "not in the index")
    assert run("ingest").exit_code == 0
    docs = {d["doc"] for d in json.loads(run("sources", "--json").output)["documents"]}
    assert {"bees.txt", "board/minutes.txt"} <= docs


def test_doctor_reports_each_check_on_one_line(built: Path, monkeypatch: pytest.MonkeyPatch):
    result = run("doctor", "--offline")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["OK", "OK", "OK", "OK", "SKIP", "SKIP"]
    assert "access.toml parses" in result.output
    (built / "access.toml").write_text("[[restrict]\n", encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-1-" + BOT)  # an app token where the bot's goes
    result = run("doctor", "--offline", "--json")
    assert result.exit_code == 1
    checks = {c["check"]: c for c in json.loads(result.output)}
    assert checks["access file"]["status"] == "FAIL" and checks["access file"]["fix"]
    assert checks["slack tokens"]["status"] == "FAIL" and "xoxb-" in checks["slack tokens"]["detail"]
    assert "NEWCOMERSECRET" not in result.output


def test_doctor_calls_auth_test_on_the_real_slack_client(built: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    slack = FakeSlack(token=BOT)
    try:
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
        monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0-NEWCOMERSECRET")
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        good = run("doctor")
        slack.fail_next("auth.test", 200, error="invalid_auth")  # what Slack says to a bad token
        bad = run("doctor")
    finally:
        slack.close()
    assert good.exit_code == 0, good.output
    assert any(line.startswith("OK") and "auth.test" in line for line in good.output.splitlines())
    assert bad.exit_code == 1
    assert any(line.startswith("FAIL") and "auth.test" in line for line in bad.output.splitlines())
    assert "NEWCOMERSECRET" not in good.output + bad.output


# -- progress ----------------------------------------------------------------------------------

def _ingest_process(newcomer: Path, *, stderr) -> subprocess.Popen:
    corpus = write_corpus(newcomer / "docs")
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_INDEX_DIR": str(newcomer / "ix"), "COLUMNS": "100"}
    return subprocess.Popen([sys.executable, "-c", "from assistant.cli import main; main()",
                             "ingest"], cwd=newcomer, env=env, stdout=subprocess.PIPE,
                            stderr=stderr, stdin=subprocess.DEVNULL)


def test_progress_is_drawn_on_a_terminal(newcomer: Path):
    controller, terminal = pty.openpty()
    # a real terminal has a size (tqdm fits its bar to it); a fresh pseudo-terminal has 0x0
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = _ingest_process(newcomer, stderr=terminal)
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the process closed its end
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(controller)
    assert process.wait(timeout=60) == 0
    text = seen.decode("utf-8", "replace")
    assert "reading files" in text and "embedding chunks" in text and "3/3" in text


def test_progress_stays_quiet_in_a_pipe(newcomer: Path):
    process = _ingest_process(newcomer, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert b"reading files" not in err and b"embedding chunks" not in err
    assert b"added 3" in out


# -- every setting is documented -----------------------------------------------------------------

def test_every_setting_is_in_the_readme_table_and_env_example():
    from assistant.config import Settings, env_name

    readme = (REPO / "README.md").read_text("utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    example = (REPO / ".env.example").read_text("utf-8")
    for field in Settings.model_fields:
        variable = env_name(field)
        assert f"`{variable}`" in table, f"{variable} missing from the README settings table"
        assert f"# {variable}=" in example, f"{variable} missing from .env.example"
