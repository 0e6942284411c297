"""BPMN interchange through the CLI: the OMG MIWG reference models in, every SOP out
(valid against the OMG schema), round trips, and hostile XML."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from lxml import etree
from ruamel.yaml import YAML

from tests.conftest import EXAMPLES, RunCli

HERE = Path(__file__).parent
REFERENCE = HERE / "bpmn" / "reference"
SCHEMAS = HERE / "bpmn" / "schemas"
SOPS = HERE.parent / "sops"

# From each model's picture (tests/bpmn/reference/*.png in the MIWG suite): per SOP, the
# number of steps, each decision's answers, the ends, the roles and the `sop:` calls.
EXPECTED = {
    "A.1.0": (3, [], ["End Event"], [], []),
    "A.2.0": (4, [["Task 2", "Task 3", "Task 4"]], ["End Event"], [], []),
    "A.3.0": (5, [["As planned", "Boundary Intermediate Event Interrupting Escalation",
                   "Boundary Intermediate Event Non-Interrupting Message"]],
              ["End Event 1", "End Event 2"], [], []),
    "A.4.0-WFP-6-1": (2, [], ["End Event 1"], [], []),
    "A.4.0-WFP-6-2": (4, [["Expanded Sub-Process 1", "Expanded Sub-Process 2"]],
                      ["End Event 2", "End Event 5"], ["lane-1", "lane-2"],
                      ["A.4.0-WFP-6-2-expanded-sub-process-1",
                       "A.4.0-WFP-6-2-expanded-sub-process-2"]),
    "A.4.0-WFP-6-2-expanded-sub-process-1": (1, [], ["End Event 3"], [], []),
    "A.4.0-WFP-6-2-expanded-sub-process-2": (1, [], ["End Event 4"], [], []),
    "A.4.1-pool-1": (2, [], ["End Event 1"], ["lane-1"], []),
    "A.4.1-pool-2": (4, [["Expanded Sub-Process 1", "Expanded Sub-Process 2"]],
                     ["End Event 2", "End Event 5"], ["lane-2", "lane-3"],
                     ["A.4.1-pool-2-expanded-sub-process-2",
                      "A.4.1-pool-2-expanded-sub-process-1"]),
    "A.4.1-pool-2-expanded-sub-process-1": (1, [], ["End Event 3"], [], []),
    "A.4.1-pool-2-expanded-sub-process-2": (1, [], ["End Event 4"], [], []),
    "B.1.0-Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450": (1, [], ["End Event None 2"], [], []),
    "B.1.0-WFP-0": (1, [], ["End Event None 4"], [], []),
    "B.1.0-WFP-6-1": (3, [], ["End Event None 1"], [], []),
    "B.1.0-WFP-6-2": (8, [["Collapsed Sub-Process", "Service Task 7"],
                          ["Call Activity Calling a Global Task", "Call Activity Collapsed"]],
                      ["End Event Message"], ["lane-1", "lane-2"],
                      ["B.1.0-WFP-6-2-sub-process-expanded", "B.1.0-WFP-0",
                       "B.1.0-Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450"]),
    "B.1.0-WFP-6-2-sub-process-expanded": (1, [], ["End Event None 3"], [], []),
    "C.1.0-bpmn-miwg-test-case-c-1-0": (5, [["no", "yes"], ["no", "yes"]],
                                        ["Invoice not processed", "Invoice processed"],
                                        ["accountant", "approver", "team-assistant"], []),
    "C.1.0-team-assistant": (7, [["7 days", "Invoice review needed"]], ["Done", "Done"],
                             ["sid-744AEFB3-C93D-46A3-8976-EFA91784A51F"], []),
    "C.1.1": (5, [["no", "yes"], ["no", "yes"]],
              ["Invoice not processed", "Invoice processed"], [], []),
    "C.3.0": (5, [["Emergency service", "Regular repair service", "Warranty"], ["no", "yes"],
                  ["Premium", "Standard"], ["As planned", "Message event"],
                  ["2 hours", "As planned"]],
              ["Emergency repair completed", "Fridge replaced", "Repair completed"], [], []),
    "C.7.0": (6, [["No", "Yes"]], ["Vacancy advertised"], ["hiring-manager", "recruitment"], []),
    "C.9.0": (8, [["Green (no risk)", "Red (severe risk)", "Yellow (moderate risk)"],
                  ["As planned", "Fraud detected"],
                  ["Application accepted", "Application declined"]],
              ["Application canceled due to fraud", "Application issued",
               "Application rejected"], [], ["C.9.2"]),
    "C.9.0-Activity_0vp33kx": (2, [], ["Operations Team notified about successful cancelation"],
                               [], []),
    "C.9.0-Activity_1ke2ixr": (1, [], ["Timeout handled"], [], []),
    "C.9.1": (4, [["1 week", "As planned", "daily"]],
              ["Answer received", "Document received", "Email sent"], [], []),
    # C.9.2 draws no lanes, but assigns its user tasks (Camunda 8): those groups are roles
    "C.9.2": (1, [["As planned", "Timeout (7 days)"]], ["Manually Decided", "Timeout"],
              ["clerks"], []),
    "C.9.2-Activity_02a6b2h": (1, [["No", "Yes"]], ["Fraud Detected", "Fraud no detected"],
                               ["riskteam"], []),
    "C.9.2-Activity_0uvp3cb": (1, [], ["Document Received"], [], ["C.9.1"]),
    "C.9.2-Activity_1esx1s7": (2, [], ["Decision accelerated"], ["teamleaders"], []),
}  # fmt: skip


def _load(path: Path) -> dict[str, object]:
    data: dict[str, object] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data


def _shape(sop: dict[str, object]) -> tuple[object, ...]:
    nodes: list[dict[str, object]] = sop["steps"]  # type: ignore[assignment]
    steps = [n for n in nodes if "step" in n]
    return (
        len(steps),
        [sorted(n["branches"]) for n in nodes if "decision" in n],  # type: ignore[call-overload]
        sorted(str(n["end"]) for n in nodes if "end" in n),
        sorted(sop.get("roles", {})),  # type: ignore[call-overload]
        [n["sop"] for n in steps if "sop" in n],
    )


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from sopkit.cli import app

    out = tmp_path_factory.mktemp("imported")
    models = sorted(str(p) for p in REFERENCE.glob("*.bpmn"))
    result = CliRunner().invoke(app, ["import", "bpmn", *models, "-o", str(out),
                                      "--department", "Support", "--language", "en"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_every_reference_model_imports_as_its_picture_shows(imported: Path) -> None:
    sops = {str(_load(p)["id"]): _load(p) for p in imported.glob("*.yaml")}
    assert sorted(sops) == sorted(EXPECTED)
    for sop_id, expected in EXPECTED.items():
        assert _shape(sops[sop_id]) == expected, sop_id


def test_the_imported_sops_check_clean_and_are_formatted(imported: Path, cli: RunCli,
                                                         workdir: Path) -> None:  # fmt: skip
    checked = cli("check", str(imported), "--format", "json")
    assert '"errors": 0' in checked.output, checked.output
    assert cli("fmt", "--check", str(imported)).exit_code == 0


def test_call_activities_link_across_files_and_warnings_name_file_and_line(
    cli: RunCli, workdir: Path
) -> None:
    chain = [str(REFERENCE / f"C.9.{n}.bpmn") for n in (0, 1, 2)]
    result = cli("import", "bpmn", *chain, "-o", ".", "--department", "Onboarding")
    assert result.exit_code == 0, result.output
    assert _load(workdir / "C.9.0.yaml")["department"] == "Onboarding"
    assert "sop: C.9.2" in (workdir / "C.9.0.yaml").read_text(encoding="utf-8")
    assert f"{chain[0]}:174: warning:" not in result.output  # Manual Check is resolved
    alone = cli("import", "bpmn", str(REFERENCE / "C.7.0.bpmn"), "-o", "alone")
    assert alone.exit_code == 1  # the folder does not exist
    (workdir / "alone").mkdir()
    alone = cli("import", "bpmn", str(REFERENCE / "C.7.0.bpmn"), "-o", "alone")
    assert f"{REFERENCE / 'C.7.0.bpmn'}:131: warning: parallel gateway" in alone.output


def test_import_is_deterministic_and_never_overwrites(cli: RunCli, workdir: Path) -> None:
    model = str(REFERENCE / "C.3.0.bpmn")
    for name in ("one", "two"):
        (workdir / name).mkdir()
        assert cli("import", "bpmn", model, "-o", name).exit_code == 0
    assert (workdir / "one" / "C.3.0.yaml").read_bytes() == (
        workdir / "two" / "C.3.0.yaml"
    ).read_bytes()
    (workdir / "one" / "C.3.0.yaml").write_text("mine\n", encoding="utf-8")
    again = cli("import", "bpmn", model, str(REFERENCE / "C.7.0.bpmn"), "-o", "one")
    assert again.exit_code == 1
    assert "exist already" in again.output
    assert (workdir / "one" / "C.3.0.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (workdir / "one" / "C.7.0.yaml").exists()  # nothing written


def test_a_process_with_nowhere_to_start_starts_at_its_first_element(
    cli: RunCli, workdir: Path
) -> None:
    """Every element has a way in and there is no start event: the mapping once raised here
    (found by mutating the reference models)."""
    (workdir / "loop.bpmn").write_text(
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">\n'
        '<process id="loop" name="Ring">\n'
        '<task id="a" name="Answer the phone"/><task id="b" name="Call back"/>\n'
        '<sequenceFlow id="f1" sourceRef="a" targetRef="b"/>\n'
        '<sequenceFlow id="f2" sourceRef="b" targetRef="a"/>\n'
        "</process></definitions>\n",
        encoding="utf-8",
    )
    result = cli("import", "bpmn", "loop.bpmn", "-o", ".")
    assert result.exit_code == 0, result.output
    assert ("loop.bpmn:2: warning: process 'Ring' has no start event and every element has a "
            "way in: it starts at 'Answer the phone'") in result.output  # fmt: skip
    steps = _load(workdir / "loop.yaml")["steps"]
    assert isinstance(steps, list)
    assert [node["id"] for node in steps] == ["answer-the-phone", "call-back"]
    assert steps[1]["next"] == "answer-the-phone"
    checked = cli("check", "loop.yaml")  # the loop is the SOP's to fix, and check says so
    assert checked.exit_code == 1
    assert "no-exit" in checked.output


HOSTILE = {
    "laughs.bpmn": b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                   b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<lolz>&lol2;</lolz>',
    "external.bpmn": b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                     b"\n<x>&e;</x>",
    "broken.bpmn": b"<definitions>\n<process>\n</definitions>",
    "other.bpmn": b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
    "empty.bpmn": b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>',
    "encoding.bpmn": b'<?xml version="1.0" encoding="X-NO-SUCH"?>\n<definitions/>',
    "text.bpmn": b"just some text",
    "deep.bpmn": b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
                 + b"<a>" * 300 + b"</a>" * 300 + b"</definitions>",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_wrong_files_are_refused_clearly(cli: RunCli, workdir: Path, name: str) -> None:
    (workdir / name).write_bytes(HOSTILE[name])
    result = cli("import", "bpmn", name, "-o", ".")
    assert result.exit_code in (1, 2)
    assert f"error: {name}" in result.output
    assert "Traceback" not in result.output
    assert "root:" not in result.output
    assert "lollol" not in result.output
    assert sorted(p.name for p in workdir.iterdir()) == sorted(["sopkit.toml", name])


def test_a_file_over_the_size_limit_is_refused(cli: RunCli, workdir: Path) -> None:
    big = workdir / "big.bpmn"
    with big.open("wb") as stream:
        stream.write(b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">')
        stream.write(b"<!-- " + b"x" * (50 * 1024 * 1024) + b" -->")
        stream.write(b"</definitions>")
    result = cli("import", "bpmn", "big.bpmn")
    assert result.exit_code in (1, 2)
    assert "too large" in result.output


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "BPMN20.xsd")))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from sopkit.cli import app

    source = tmp_path_factory.mktemp("sources")
    shutil.copytree(SOPS, source / "sops")
    shutil.copytree(EXAMPLES, source / "examples")
    (source / "sopkit.toml").write_text("", encoding="utf-8")  # the walk up stops here
    out = tmp_path_factory.mktemp("exported") / "bpmn"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(source)
        result = CliRunner().invoke(app, ["export", "bpmn", ".", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_export_is_valid_against_the_omg_schema(exported: Path) -> None:
    files = sorted(exported.glob("*.bpmn"))
    assert len(files) >= 9
    for path in files:
        document = etree.parse(str(path))
        assert _schema().validate(document), (path.name, _schema().error_log)


def test_the_reference_models_are_valid_too() -> None:
    """The oracle accepts what it should (so a pass above means something)."""
    for path in sorted(REFERENCE.glob("*.bpmn")):
        assert _schema().validate(etree.parse(str(path))), path.name


def test_export_is_deterministic_and_links_calls(
    exported: Path, cli: RunCli, workdir: Path
) -> None:
    shutil.copytree(SOPS, workdir / "sops")
    assert cli("export", "bpmn", "sops", "-o", "again").exit_code == 0
    for path in (workdir / "again").glob("*.bpmn"):
        assert path.read_bytes() == (exported / path.name).read_bytes(), path.name
    call = (exported / "CS-CALL-004.bpmn").read_text(encoding="utf-8")
    assert 'calledElement="Process_CS-COMP-003"' in call
    assert 'id="Process_CS-COMP-003"' in (exported / "CS-COMP-003.bpmn").read_text(encoding="utf-8")


def _comparable(sop: dict[str, object]) -> dict[str, object]:
    nodes: list[dict[str, object]] = sop["steps"]  # type: ignore[assignment]
    return {
        "id": sop["id"], "title": sop["title"], "department": sop["department"],
        "roles": sop.get("roles"), "sla": sop.get("sla"), "owner": sop.get("owner"),
        "nodes": {str(n["id"]): {k: n.get(k) for k in ("step", "decision", "end", "role",
                                                        "duration", "sop", "branches", "details")}
                  for n in nodes},
    }  # fmt: skip


def test_a_round_trip_gives_the_sops_back(exported: Path, cli: RunCli, workdir: Path) -> None:
    (workdir / "back").mkdir()
    result = cli("import", "bpmn", *sorted(str(p) for p in exported.glob("*.bpmn")), "-o", "back")
    assert result.exit_code == 0, result.output
    originals = {str(_load(p)["id"]): _load(p) for p in [*SOPS.rglob("*.yaml"),
                                                        *EXAMPLES.glob("*.yaml")]}  # fmt: skip
    back = {str(_load(p)["id"]): _load(p) for p in (workdir / "back").glob("*.yaml")}
    assert sorted(back) == sorted(originals)
    for sop_id, original in originals.items():
        if isinstance(original.get("purpose"), str):
            assert str(back[sop_id]["purpose"]).strip() == str(original["purpose"]).strip()
        expected = _comparable(original)
        for node in expected["nodes"].values():  # type: ignore[attr-defined]
            if node["details"]:
                node["details"] = str(node["details"]).strip()
        got = _comparable(back[sop_id])
        for node in got["nodes"].values():  # type: ignore[attr-defined]
            if node["details"]:
                node["details"] = str(node["details"]).strip()
        assert got == expected, sop_id
    assert cli("check", "back").exit_code == 0


def test_export_refuses_a_sop_with_errors(cli: RunCli, workdir: Path) -> None:
    (workdir / "bad.yaml").write_text(
        "id: BAD-1\ntitle: T\ndepartment: D\npurpose: P\n"
        "steps:\n  - {id: a, step: A, next: nowhere}\n",
        encoding="utf-8",
    )
    result = cli("export", "bpmn", "bad.yaml", "-o", "bad.bpmn")
    assert result.exit_code == 1
    assert "unknown-target" in result.output
    assert not (workdir / "bad.bpmn").exists()


CAMUNDA_7 = """\
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <process id="refund" name="Refund">
    <startEvent id="start"/>
    <userTask id="check" name="Check the order" camunda:candidateGroups="support, leads"/>
    <userTask id="approve" name="Approve the refund" camunda:assignee="shift-lead"/>
    <userTask id="tell" name="Tell the customer" camunda:assignee="${initiator}"/>
    <endEvent id="done" name="Refunded"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <sequenceFlow id="f2" sourceRef="check" targetRef="approve"/>
    <sequenceFlow id="f3" sourceRef="approve" targetRef="tell"/>
    <sequenceFlow id="f4" sourceRef="tell" targetRef="done"/>
  </process>
</definitions>
"""
CAMUNDA_8 = """\
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
  <bpmn:process id="refund8" name="Refund" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="check" name="Check the order">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition candidateGroups="support" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="approve" name="Approve the refund">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition assignee="= lead" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="done" name="Refunded"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="approve"/>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_camunda_user_tasks_without_lanes_get_their_groups_as_roles(
    cli: RunCli, workdir: Path
) -> None:
    """Camunda models assign user tasks instead of drawing lanes: the first candidate
    group, else the assignee, is the step's role; an expression names nobody yet."""
    (workdir / "c7.bpmn").write_text(CAMUNDA_7, encoding="utf-8")
    (workdir / "c8.bpmn").write_text(CAMUNDA_8, encoding="utf-8")
    result = cli("import", "bpmn", "c7.bpmn", "c8.bpmn", "-o", ".")
    assert result.exit_code == 0, result.output
    seven, eight = _load(workdir / "c7.yaml"), _load(workdir / "c8.yaml")
    assert seven["roles"] == {"support": "support", "shift-lead": "shift-lead"}
    steps = seven["steps"]
    assert isinstance(steps, list)
    assert [step.get("role") for step in steps] == ["support", "shift-lead", None, None]
    assert eight["roles"] == {"support": "support"}
    assert cli("check", "c7.yaml", "c8.yaml").exit_code == 0
