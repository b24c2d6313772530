"""An unknown stage label that is a known one in another case or Unicode normalization
is still refused (labels match exactly), and the error names the label it may mean.

``Négociation`` written with a combining accent (Unicode NFD, as files saved on macOS
often are) looks exactly like the pipeline's ``Négociation`` (NFC) in any message, so
without the hint the refusal reads "unknown label 'Négociation'; the labels are [...,
'Négociation', ...]". Every loader says the same: records, both CSV engines, the wide form.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from salesfunnel import DealLog, FunnelDataError, Pipeline

P = Pipeline(["Call", "Négociation"], won="Won", lost="Lost")
NFD = unicodedata.normalize("NFD", "Négociation")
CASES = [
    ("WON", "('Won' differs only in case)"),
    ("négociation", "('Négociation' differs only in case)"),
    (
        NFD,
        "(the same text as 'Négociation' with its accents decomposed (Unicode NFD); "
        "normalize the column to NFC)",
    ),
    (unicodedata.normalize("NFD", "NÉGOCIATION"), "('Négociation' differs only in case)"),
]


def test_the_nfd_label_is_another_string_that_prints_the_same() -> None:
    assert NFD != "Négociation"
    assert len(NFD) == len("Négociation") + 1
    assert NFD not in P


@pytest.mark.parametrize(("label", "hint"), CASES)
def test_records_name_the_label_meant(label: str, hint: str) -> None:
    recs = [{"deal": "A", "stage": "Call", "time": "2024-01-02"},
            {"deal": "A", "stage": label, "time": "2024-01-03"}]  # fmt: skip
    with pytest.raises(FunnelDataError) as info:
        DealLog.from_records(recs, P)
    assert f"unknown label {label!r}; the pipeline's labels are " in str(info.value)
    assert hint in str(info.value)
    with pytest.raises(KeyError, match=r"differs only in case|decomposed"):
        P.code(label)


@pytest.mark.parametrize("engine", ["python", "arrow"])
@pytest.mark.parametrize(("label", "hint"), CASES)
def test_both_csv_engines_name_the_label_meant(
    tmp_path: Path, engine: str, label: str, hint: str
) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "log.csv"
    path.write_text(f"deal,stage,time\nA,Call,2024-01-02\nA,{label},2024-01-03\n", "utf-8")
    with pytest.raises(FunnelDataError) as info:
        DealLog.from_csv(path, P, engine=engine)
    assert "row 3" in str(info.value) or "line 3" in str(info.value)
    assert hint in str(info.value)


def test_the_wide_form_names_the_outcome_meant() -> None:
    rows = [{"id": "A", "status": "WON", "call": "2024-01-02"}]
    with pytest.raises(FunnelDataError, match=r"\('Won' differs only in case\)"):
        DealLog.from_wide(rows, P, deal="id", stage_dates={"Call": "call"}, outcome="status")


def test_a_label_like_none_gets_no_hint() -> None:
    with pytest.raises(KeyError) as info:
        P.code("Offer")
    assert str(info.value).endswith("['Call', 'Négociation', 'Won', 'Lost']\"")


# -- column names: the same two near misses, in every "no column" message --------------
def test_near_name_worked_examples() -> None:
    from salesfunnel._format import near_name

    assert near_name("deal", ["Deal", "stage"]) == " ('Deal' differs only in case)"
    assert near_name(unicodedata.normalize("NFD", "étape"), ["étape"]) == (
        " (the same text as 'étape' with its accents decomposed (Unicode NFD); normalize it to NFC)"
    )
    assert near_name("deal_id", ["Deal", "id"]) == ""  # nothing near: nothing said
    assert near_name("Deal ", ["Deal", "Stage"]) == " ('Deal' differs only in the spaces around it)"
    assert near_name("Call", [" Call", "Won"]) == " (' Call' differs only in the spaces around it)"
    assert near_name(" deal", ["Deal"]) == (
        " ('Deal' differs only in case and the spaces around it)"
    )
    assert near_name("De al", ["Deal"]) == ""  # a space inside is another name


def test_the_command_line_names_a_column_given_with_its_spaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A header cell 'Deal ' is read as 'Deal'; the option written as the file shows it
    is refused (names match exactly) with the name it may mean."""
    from salesfunnel.__main__ import main

    path = tmp_path / "log.csv"
    path.write_text("Deal ,Stage,Time\nA,Call,2024-01-02\n", "utf-8")
    args = ["metrics", str(path), "--pipeline", "Call", "--deal-column", "Deal "]
    assert main([*args, "--stage-column", "Stage", "--time-column", "Time"]) == 2
    assert capsys.readouterr().err == (
        f"salesfunnel: error: {path}, row 1: missing column 'Deal ' for the deal id (header is "
        "['Deal', 'Stage', 'Time']; 'Deal' differs only in the spaces around it: name the "
        "column with --deal-column)\n"
    )


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_a_csv_header_in_another_case_is_named(tmp_path: Path, engine: str) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "log.csv"
    path.write_text("Deal,Stage,Time\nA,Call,2024-01-02\n", "utf-8")
    with pytest.raises(
        FunnelDataError, match=r"no column 'deal' .*\('Deal' differs only in case\)"
    ):
        DealLog.from_csv(path, P, engine=engine)


def test_the_command_line_names_the_column_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from salesfunnel.__main__ import main

    path = tmp_path / "log.csv"
    path.write_text("Deal,Stage,Time\nA,Call,2024-01-02\n", "utf-8")
    assert main(["metrics", str(path), "--pipeline", "Call"]) == 2
    assert capsys.readouterr().err == (
        f"salesfunnel: error: {path}, row 1: missing column 'deal' for the deal id (header is "
        "['Deal', 'Stage', 'Time']; 'Deal' differs only in case: name the column with "
        "--deal-column)\n"
    )


def test_a_frame_column_in_another_case_is_named() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"ID": ["A"], "status": ["Won"], "call": ["2024-01-02"]})
    with pytest.raises(FunnelDataError, match=r"\('ID' differs only in case\)"):
        DealLog.from_wide(frame, P, deal="id", stage_dates={"Call": "call"}, outcome="status")


def test_an_event_step_in_another_case_is_named() -> None:
    import datetime as dt

    from salesfunnel import EventLog, event_funnel

    log = EventLog.from_records(
        [{"user": "u", "event": "view", "time": "2024-01-01T10:00:00"},
         {"user": "u", "event": "purchase", "time": "2024-01-01T10:05:00"}], entity="user",
    )  # fmt: skip
    with pytest.raises(FunnelDataError, match=r"no event 'Purchase' .*\('purchase' differs only"):
        event_funnel(log, ["view", "Purchase"], window=dt.timedelta(hours=1))
