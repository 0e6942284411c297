"""`sopkit walk` driven for real through a pseudo-terminal, in English and Greek."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import EXAMPLES, MINIMAL_SOP, RunCli, python_env


def spawn(sop_id: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "sopkit", "walk", sop_id, "--source", str(EXAMPLES)],
        encoding="utf-8",
        timeout=15,
        env=python_env(),
        dimensions=(50, 200),
    )


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1)


def test_english_full_run_with_a_decision_and_going_back() -> None:
    child = spawn("CS-ESC-001")
    child.expect("Log the request as a ticket and acknowledge it")
    child.expect(r"\[Enter: next")
    child.sendline("")
    child.expect("Is the answer in the knowledge base\\?")
    child.expect("1\\) Yes")
    child.sendline("maybe")
    child.expect("Not an answer here. Valid answers: 1\\) Yes \\| 2\\) No")
    child.sendline("b")  # back to the first step
    child.expect("Log the request as a ticket")
    child.sendline("")
    child.expect("knowledge base")
    child.sendline("2")
    child.expect("Is the customer a VIP or is the SLA at risk\\?")
    child.sendline("no")
    child.expect("Investigate and answer the customer")
    child.sendline("")
    child.expect("Outcome: Customer confirms the request is solved")
    child.sendline("")
    child.expect("Path taken: receive → known \\[No\\] → vip \\[No\\] → specialist → solved")
    child.expect("Total expected time: 4h5m")
    assert finish(child) == 0


def test_greek_walk_steps_into_a_called_sop_and_returns() -> None:
    child = spawn("CS-COMP-002")
    child.expect("Διαδικασία: .*Διαχείριση παραπόνου πελάτη")
    child.expect("Ακούστε ενεργητικά και καταγράψτε το παράπονο")
    child.expect("Enter: επόμενο")
    child.sendline("")
    child.expect("Μπορεί να λυθεί στην πρώτη επαφή;")
    child.sendline("2")  # Όχι
    child.expect("Κλιμακώστε στον υπεύθυνο βάρδιας")
    child.expect("Αυτό το βήμα ακολουθεί άλλη διαδικασία: Escalating a customer request")
    child.sendline("")
    child.expect("Log the request as a ticket")  # inside CS-ESC-001, in its own language
    child.sendline("")
    child.expect("knowledge base")
    child.sendline("1")
    child.expect("Send the knowledge-base article")
    child.sendline("")
    child.expect("Outcome: Customer confirms the request is solved")
    child.sendline("")
    child.expect("Πίσω στη διαδικασία: Διαχείριση παραπόνου πελάτη")
    child.expect("Στείλτε έρευνα CSAT")
    child.sendline("")
    child.expect("Το παράπονο έκλεισε")
    child.sendline("")
    child.expect(
        "Διαδρομή: listen → simple \\[Όχι\\] → escalate → CS-ESC-001:receive → "
        "CS-ESC-001:known \\[Yes\\]"
    )
    child.expect("Συνολικός αναμενόμενος χρόνος: 10m")  # as `sopkit paths` counts it
    assert finish(child) == 0


@pytest.mark.parametrize(
    ("sop_id", "stopped"), [("CS-ESC-001", "Interrupted"), ("CS-COMP-002", "Διακόπηκε")]
)
def test_ctrl_c_stops_cleanly(sop_id: str, stopped: str) -> None:
    child = spawn(sop_id)
    child.expect(r"\[")
    child.sendintr()
    child.expect(stopped)
    assert finish(child) == 130


def test_q_quits(cli: RunCli) -> None:
    child = spawn("CS-CALL-003")
    child.expect("Pozdravite stranko")
    child.sendline("q")
    child.expect("Ustavljeno. Nič ni bilo spremenjeno.")
    assert finish(child) == 130


def test_q_and_ctrl_c_say_different_things() -> None:
    from sopkit.labels import labels_for

    for language in ("en", "el", "sl"):
        labels = labels_for(language)
        assert labels["walk_stopped"] != labels["walk_interrupted"]
        assert "Ctrl-C" in labels["walk_interrupted"]


def test_input_that_ends_before_the_walk_says_so() -> None:
    """Piped answers that run out are not a Ctrl-C."""
    from typer.testing import CliRunner

    from sopkit.cli import app

    walked = CliRunner().invoke(app, ["walk", "CS-ESC-001", "--source", str(EXAMPLES)],
                                input="\n")  # fmt: skip
    assert walked.exit_code == 130
    assert "The input ended before the walk did. Nothing was changed." in walked.stdout
    assert "Ctrl-C" not in walked.stdout


def test_walk_and_paths_agree_on_the_time_of_a_path(cli: RunCli) -> None:
    listed = cli("paths", "CS-COMP-002", "--source", str(EXAMPLES), "--format", "json")
    paths = json.loads(listed.stdout)["paths"]
    compared = 0
    for answers in (["1"], ["2", "1"], ["2", "2", "1"]):
        walked = cli("walk", "CS-COMP-002", "--source", str(EXAMPLES), "--answers",
                     ",".join(answers))  # fmt: skip
        if walked.exit_code != 0:
            continue  # the called procedure asked another number of questions
        route = walked.stdout.splitlines()[-2].split(": ", 1)[1]
        own = [hop.split(" [")[0] for hop in route.split(" → ") if ":" not in hop.split(" [")[0]]
        (match,) = [p for p in paths if [h["id"] for h in p["nodes"]] == own]
        total = walked.stdout.splitlines()[-1].split(": ", 1)[1]
        assert total == match["duration"], (route, match)
        compared += 1
    assert compared == 3


def test_scripted_answers(cli: RunCli) -> None:
    result = cli("walk", "CS-ESC-001", "--source", str(EXAMPLES), "--answers", "No,Yes")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-2:] == [
        "Path taken: receive → known [No] → vip [Yes] → lead → specialist → solved",
        "Total expected time: 4h35m",
    ]
    wrong = cli("walk", "CS-ESC-001", "--source", str(EXAMPLES), "--answers", "Perhaps")
    assert wrong.exit_code == 1
    assert "'Perhaps' is not an answer" in wrong.stderr
    assert "1) Yes | 2) No" in wrong.stderr
    too_many = cli("walk", "CS-ESC-001", "--source", str(EXAMPLES), "--answers", "No,Yes,No")
    assert too_many.exit_code == 1
    assert "error: 1 answer(s) left over (No): the walk ended before they were asked" in (
        too_many.stderr
    )
    too_few = cli("walk", "CS-ESC-001", "--source", str(EXAMPLES), "--answers", "No")
    assert too_few.exit_code == 1
    assert "error: the answers ran out at “" in too_few.stderr
    assert "(CS-ESC-001, node vip); the next answer is one of: 1) Yes | 2) No" in too_few.stderr
    unknown = cli("walk", "CS-ESC-01", "--source", str(EXAMPLES))
    assert unknown.exit_code == 2
    assert "did you mean 'CS-ESC-001'?" in unknown.stderr


def test_no_answers_walk_a_sop_without_decisions(cli: RunCli, workdir: Path) -> None:
    """`--answers ""` is no answer, not one empty answer left over."""
    (workdir / "plain.yaml").write_text(MINIMAL_SOP, encoding="utf-8")
    walked = cli("walk", "plain.yaml", "--answers", "")
    assert walked.exit_code == 0, walked.output
    assert "Outcome: Done" in walked.output
