"""The eval harness: BEIR loading, scoring of each suite, the runner, reports and compare."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from rich.console import Console

from agent.models import Module, Page, Plan, ResultItem
from agent.settings import Settings
from agent.trace import Trace
from evals.beir import DatasetError, detect_split, load_beir, resolve_dataset
from evals.compare import compare_reports, pair_configs
from evals.report import (
    CaseResult,
    ConfigResult,
    Report,
    ReportError,
    collect_environment,
    load_report,
    render_report,
    save_report,
    summarize,
)
from evals.runner import System, Usage, run_cases, run_configs
from evals.suites import EvalConfigError, EvalContext, choose, load_suite, read_cases, select
from evals.suites import retrieval as retrieval_suite
from evals.suites.constraints import ConstraintCase, Predicate, judge_catalog, score_items
from evals.suites.page import score_modules
from evals.suites.planning import ExpectedRoute, PlanningCase, score_plan
from tools.catalog import Idea, Product, Video
from tools.contract import Hit, SubQuery
from tools.filters import Filters


def write_beir(root: Path, splits: tuple[str, ...] = ("test",)) -> Path:
    """A three-document BEIR folder: q1 has two relevant docs, q2 none (so it is dropped)."""
    (root / "qrels").mkdir(parents=True)
    docs = [
        {"_id": "d1", "title": "wing flutter", "text": "flutter of a swept wing"},
        {"_id": "d2", "title": "", "text": "boundary layer transition"},
        {"_id": "d3", "title": "heat", "text": "heat transfer in hypersonic flow"},
    ]
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    queries = [{"_id": "q1", "text": "wing flutter"}, {"_id": "q2", "text": "nothing"}]
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    for split in splits:
        rows = "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t1\nq2\td2\t0\n"
        (root / "qrels" / f"{split}.tsv").write_text(rows)
    return root


# --- BEIR loader ---------------------------------------------------------------------------


def test_loader_reads_a_beir_folder(tmp_path: Path) -> None:
    data = load_beir(write_beir(tmp_path / "tiny"))
    assert data.name == "tiny" and data.split == "test"
    assert [q.id for q in data.queries] == ["q1"]  # q2 has no positive judgment
    assert data.qrels == {"q1": {"d1": 2, "d3": 1}}
    assert [d.id for d in data.corpus()] == ["d1", "d2", "d3"]


def test_split_detection(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "two", splits=("dev", "test"))
    assert detect_split(folder) == "test"
    assert detect_split(folder, "dev") == "dev"
    with pytest.raises(DatasetError, match="No split 'train'"):
        detect_split(folder, "train")
    odd = write_beir(tmp_path / "odd", splits=("a", "b"))
    with pytest.raises(DatasetError, match="--split"):
        detect_split(odd)


def test_resolve_dataset_by_name_and_clear_error(tmp_path: Path) -> None:
    write_beir(tmp_path / "cranish" / "beir")
    assert resolve_dataset("cranish", tmp_path) == tmp_path / "cranish" / "beir"
    with pytest.raises(DatasetError, match="TESSERA_DATASETS"):
        resolve_dataset("absent", tmp_path)


def test_malformed_rows_name_the_line(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "bad")
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "ok"}\n{"text": "no id"}\n')
    with pytest.raises(DatasetError, match=r"queries.jsonl:2"):
        load_beir(folder)
    (folder / "qrels" / "test.tsv").write_text("q1\td1\thigh\n")
    with pytest.raises(DatasetError, match=r"test.tsv:1"):
        load_beir(folder)


# --- planning scoring ----------------------------------------------------------------------


def plan_of(*routes: tuple[str, Filters]) -> Plan:
    tools = {"ideas": "search_ideas", "shopping": "search_products", "video": "search_videos"}
    subqueries = [
        SubQuery(id=f"q{n}", text="x", tool=tools[v], filters=f)  # type: ignore[arg-type]
        for n, (v, f) in enumerate(routes, start=1)
    ]
    return Plan(subqueries=subqueries, planner="test")


PLANNING_CASE = PlanningCase(
    id="p1",
    query="red dress under $50 and a pasta recipe",
    expected=[
        ExpectedRoute(vertical="shopping", filters=Filters(price_max=50, colors=("red",))),
        ExpectedRoute(vertical="ideas"),
    ],
)


def test_a_perfect_plan_scores_one_everywhere() -> None:
    plan = plan_of(("shopping", Filters(colors=("Red",), price_max=50.0)), ("ideas", Filters()))
    metrics, detail = score_plan(PLANNING_CASE, plan)
    assert all(v == 1.0 for v in metrics.values()), metrics
    assert detail["planner"] == "test"


def test_a_misrouted_plan_loses_recall_and_exactness() -> None:
    plan = plan_of(("shopping", Filters(price_max=50, colors=("red",))), ("video", Filters()))
    metrics, _ = score_plan(PLANNING_CASE, plan)
    assert metrics["routing_precision"] == 0.5
    assert metrics["routing_recall"] == 0.5
    assert metrics["subquery_coverage"] == 0.5
    assert metrics["filter_exact"] == 0.0  # the ideas route is unmatched
    assert metrics["filter_f1"] == 1.0  # every expected filter value was planned


def test_a_wrong_filter_breaks_exact_match_but_keeps_partial_credit() -> None:
    plan = plan_of(("shopping", Filters(price_max=80, colors=("red",))), ("ideas", Filters()))
    metrics, _ = score_plan(PLANNING_CASE, plan)
    assert metrics["routing_f1"] == 1.0 and metrics["subquery_coverage"] == 1.0
    assert metrics["filter_exact"] == 0.0
    assert metrics["filter_f1"] == pytest.approx(0.5)


# --- constraints judging -------------------------------------------------------------------


def item(obj: Idea | Product | Video) -> ResultItem:
    return ResultItem.from_hit(Hit(item=obj, score=1.0))


SOUP = ConstraintCase.model_validate(
    {
        "id": "c1",
        "query": "vegetarian soups in under 30 minutes",
        "vertical": "ideas",
        "topic": [
            {"field": "category", "op": "eq", "value": "soup"},
            {"field": "title", "op": "contains", "value": "soup"},
        ],
        "constraints": [
            {"field": "diet", "op": "eq", "value": "vegetarian"},
            {"field": "total_time_min", "op": "lte", "value": 30},
        ],
    }
)
QUICK_VEG = item(Idea(id="a", title="Leek Soups", diet=["vegetarian"], total_time_min=25))
SLOW_VEG = item(Idea(id="b", title="Onion broth", category="Soup", diet=["vegetarian"],
                     total_time_min=90))  # fmt: skip
NO_TIME = item(Idea(id="c", title="Soup of the day", diet=["vegetarian"]))
SALAD = item(Idea(id="d", title="Quick salad", diet=["vegetarian"], total_time_min=5))
CHAIR = item(Product(id="e", title="Soup pot", price=20))


def test_gains_follow_topic_and_constraints() -> None:
    assert SOUP.gain(QUICK_VEG) == 2
    assert SOUP.gain(SLOW_VEG) == 1
    assert SOUP.gain(NO_TIME) == 1  # a missing field fails its constraint
    assert SOUP.gain(SALAD) == 0  # meets the constraints but is off topic
    assert SOUP.gain(CHAIR) == 0  # another vertical is never on topic


def test_judging_the_catalog_and_scoring_the_top_items() -> None:
    qrels = judge_catalog([SOUP], [QUICK_VEG, SLOW_VEG, NO_TIME, SALAD, CHAIR])
    assert qrels == {"c1": {"ideas:a": 2, "ideas:b": 1, "ideas:c": 1}}
    scores = score_items(SOUP, [SALAD, QUICK_VEG, SLOW_VEG, CHAIR])
    assert scores["constraint_p@10"] == pytest.approx(2 / 4)  # SALAD and QUICK_VEG
    assert scores["on_topic_p@10"] == pytest.approx(2 / 4)
    assert score_items(SOUP, []) == {"constraint_p@10": 0.0, "on_topic_p@10": 0.0}


def test_predicates_on_ranges_lists_and_bad_values() -> None:
    film = item(Video(id="v", title="Film", genre=["Comedy", "Romance"], duration_s=5000))
    assert Predicate(field="genre", op="eq", value="romance").holds(film)
    assert Predicate(field="duration_s", op="between", value=[4000, 6000]).holds(film)
    assert not Predicate(field="duration_s", op="gt", value=6000).holds(film)
    assert Predicate(field="genre", op="in", value=["drama", "comedy"]).holds(film)
    assert not Predicate(field="year", op="gte", value=1990).holds(film)  # unknown year
    with pytest.raises(ValueError, match="between needs"):
        Predicate(field="price", op="between", value=10)
    with pytest.raises(ValueError, match="needs a number"):
        Predicate(field="price", op="lte", value="cheap")


def test_the_shipped_case_files_are_valid() -> None:
    data = Path(__file__).resolve().parents[2] / "evals" / "data"
    assert len(read_cases(data / "constraints.jsonl", ConstraintCase)) >= 25
    from evals.suites.page import PageCase

    assert len(read_cases(data / "pages.jsonl", PageCase)) >= 20


# --- page scoring --------------------------------------------------------------------------


def test_module_selection_and_order() -> None:
    perfect = score_modules(["ideas", "shopping"], ["ideas", "shopping"])
    assert perfect == {"module_precision": 1.0, "module_recall": 1.0, "module_f1": 1.0,
                       "module_ndcg": 1.0, "top_module": 1.0}  # fmt: skip
    swapped = score_modules(["ideas", "shopping"], ["shopping", "ideas"])
    # gains ideas 2, shopping 1: DCG = 1 + 2/log2(3) = 2.2618595; IDCG = 2 + 1/log2(3)
    assert swapped["module_ndcg"] == pytest.approx(2.2618595 / 2.6309298, abs=1e-6)
    assert swapped["top_module"] == 0.0 and swapped["module_f1"] == 1.0
    twice = score_modules(["shopping", "shopping"], ["shopping", "video"])
    assert twice["module_precision"] == 0.5 and twice["module_recall"] == 0.5


# --- runner --------------------------------------------------------------------------------


class Q:
    def __init__(self, id: str) -> None:
        self.id = id


async def test_one_failing_case_is_recorded_and_the_run_goes_on() -> None:
    used = Usage()

    async def call(case: Q) -> str:
        used.llm_calls += 1
        used.llm_tokens += 10
        if case.id == "boom":
            raise RuntimeError("index exploded")
        if case.id == "slow":
            await asyncio.sleep(5)
        return case.id.upper()

    system = System(call=call, usage=lambda: used.model_copy())
    cases = [Q("a"), Q("boom"), Q("slow"), Q("b")]
    observed = await run_cases(cases, system, timeout_s=0.05)
    assert [o.output for o in observed] == ["A", None, None, "B"]
    assert observed[1].error == "RuntimeError: index exploded"
    assert observed[2].error is not None and "timed out" in observed[2].error
    assert all(o.usage.llm_calls == 1 and o.usage.llm_tokens == 10 for o in observed)


async def test_a_configuration_that_cannot_start_does_not_stop_the_others() -> None:
    @asynccontextmanager
    async def broken() -> AsyncIterator[System[Q, str]]:
        raise FileNotFoundError("no model file")
        yield  # pragma: no cover

    @asynccontextmanager
    async def fine() -> AsyncIterator[System[Q, str]]:
        async def call(case: Q) -> str:
            if case.id == "x":
                raise ValueError("bad case")
            return case.id

        yield System(call=call, description="fine one")

    def score(observations: object) -> list[CaseResult]:
        return [
            CaseResult(id=o.case.id, error=o.error, metrics={"hit": float(o.output is not None)})
            for o in observations  # type: ignore[attr-defined]
        ]

    results = await run_configs([Q("a"), Q("x")], {"broken": broken, "fine": fine}, score, ["hit"])
    assert results[0].name == "broken" and "no model file" in (results[0].error or "")
    assert results[1].error is None and results[1].description == "fine one"
    assert results[1].summary["hit"] == 0.5 and results[1].summary["errors"] == 1.0


# --- reports and compare -------------------------------------------------------------------


def fake_report(
    values: dict[str, float], *, config: str = "bm25", suite: str = "retrieval"
) -> Report:
    cases = [CaseResult(id=k, query=f"query {k}", metrics={"ndcg@10": v}, latency_ms=10.0)
             for k, v in values.items()]  # fmt: skip
    return Report(
        suite=suite,
        dataset="tiny",
        primary_metric="ndcg@10",
        metrics=["ndcg@10"],
        environment=collect_environment(seed=13, argv=["test"]),
        configs=[ConfigResult(name=config, summary=summarize(cases, ["ndcg@10"]), cases=cases)],
    )


def test_compare_counts_wins_and_losses() -> None:
    a = fake_report({"q1": 0.2, "q2": 0.5, "q3": 0.4, "q4": 0.1})
    b = fake_report({"q1": 0.6, "q2": 0.5, "q3": 0.1, "q5": 1.0})
    [comp] = compare_reports(a, b)
    assert (comp.wins, comp.losses, comp.ties) == (1, 1, 1)
    assert (comp.only_a, comp.only_b) == (1, 1)
    ndcg = next(m for m in comp.metrics if m.metric == "ndcg@10")
    assert ndcg.delta == pytest.approx(((0.6 + 0.5 + 0.1 + 1.0) - (0.2 + 0.5 + 0.4 + 0.1)) / 4)
    assert ndcg.p_value is not None and 0 < ndcg.p_value <= 1
    assert comp.gains[0].id == "q1" and comp.drops[0].id == "q3"


def test_compare_refuses_what_it_cannot_pair() -> None:
    a = fake_report({"q1": 0.2})
    b = fake_report({"q1": 0.3}, suite="planning")
    with pytest.raises(ReportError, match="not comparable"):
        compare_reports(a, b)
    two = fake_report({"q1": 0.3})
    two.configs.append(two.configs[0].model_copy(update={"name": "dense"}))
    other = fake_report({"q1": 0.3}, config="hybrid")
    other.configs.append(other.configs[0].model_copy(update={"name": "x"}))
    with pytest.raises(ReportError, match="--config-a"):
        pair_configs(two, other)
    assert pair_configs(two, other, "dense", "x") == [("dense", "x")]


def test_reports_round_trip_and_render(tmp_path: Path) -> None:
    report = fake_report({"q1": 0.25})
    path = save_report(report, tmp_path)
    again = save_report(report, tmp_path)
    assert path != again and path.parent.name.endswith("-retrieval")
    assert load_report(str(path.parent), tmp_path) == report
    assert load_report(path.parent.name, tmp_path) == report
    with pytest.raises(ReportError, match="No report"):
        load_report("nope", tmp_path)
    console = Console(record=True, width=120)
    render_report(report, console)
    text = console.export_text()
    assert "bm25" in text and "0.2500" in text and "latency_p95_ms" in text


# --- suites end to end with fakes ----------------------------------------------------------


def test_choose_and_select() -> None:
    assert list(choose({"a": 1, "b": 2}, [], ["b"])) == ["b"]
    with pytest.raises(EvalConfigError, match="this suite has"):
        choose({"a": 1}, ["z"], [])
    assert select(list(range(10)), 3, seed=1) == select(list(range(10)), 3, seed=1)
    assert select([1, 2], None, 0) == [1, 2]
    with pytest.raises(EvalConfigError):
        load_suite("nope")


async def test_retrieval_suite_with_a_fake_searcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_beir(tmp_path / "tiny")

    @asynccontextmanager
    async def fake(
        env: retrieval_suite.RetrievalEnv,
    ) -> AsyncIterator[retrieval_suite.RetrievalSystem]:
        async def call(query: retrieval_suite.BeirQuery) -> list[str]:
            return ["d2", "d1", "d3"]

        yield System(call=call, description="fixed ranking")

    monkeypatch.setitem(retrieval_suite.CONFIGS, "fake", fake)
    ctx = EvalContext(settings=Settings(home=tmp_path / "home"), dataset=str(folder),
                      console=Console(quiet=True))  # fmt: skip
    report = await retrieval_suite.run(ctx, ["fake"])
    [result] = report.configs
    # q1: d1 (gain 2) at rank 2, d3 (gain 1) at rank 3; ideal d1, d3
    dcg = 2 / 1.5849625 + 1 / 2.0
    assert result.summary["ndcg@10"] == pytest.approx(dcg / (2 + 1 / 1.5849625), abs=1e-6)
    assert result.summary["mrr@10"] == pytest.approx(0.5)
    assert report.params["split"] == "test"


def test_cli_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evals.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    a = save_report(fake_report({"q1": 0.2, "q2": 0.4}), tmp_path)
    b = save_report(fake_report({"q1": 0.3, "q2": 0.1}), tmp_path)
    args = parser.parse_args(["eval", "compare", str(a), str(b), "--json"])
    assert args.handler(args, Settings()) == 0
    [comp] = json.loads(capsys.readouterr().out)
    assert (comp["wins"], comp["losses"]) == (1, 1)
    args = parser.parse_args(["eval", "compare", str(a), str(tmp_path / "missing")])
    assert args.handler(args, Settings()) == 2


def test_cli_runs_a_registered_planner_and_saves_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evals.cli import register
    from evals.suites import planning

    cases = tmp_path / "planning.jsonl"
    rows = [
        {"id": "a", "query": "pasta recipes", "expected": [{"vertical": "ideas"}]},
        {
            "id": "b",
            "query": "crash me",
            "history": ["earlier"],
            "expected": [{"vertical": "video"}],
        },
    ]
    cases.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    seen: list[list[str]] = []

    @asynccontextmanager
    async def fake(ctx: EvalContext) -> AsyncIterator[planning.PlannerUnderTest]:
        async def plan(query: str, history: list[str]) -> Plan:
            seen.append(history)
            if query == "crash me":
                raise RuntimeError("planner fell over")
            return plan_of(("ideas", Filters()))

        yield planning.PlannerUnderTest(plan=plan, usage=lambda: Usage(llm_calls=len(seen)))

    monkeypatch.setitem(planning.CONFIGS, "fake", fake)
    monkeypatch.setenv("TESSERA_HOME", str(tmp_path / "home"))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["eval", "planning", "--config", "fake", "--dataset", str(cases), "--out", str(tmp_path)]
    )
    assert args.handler(args, Settings()) == 0
    assert seen == [[], ["earlier"]]
    [saved] = list(tmp_path.glob("*-planning/report.json"))
    report = Report.model_validate_json(saved.read_text())
    [result] = report.configs
    assert [c.error for c in result.cases] == [None, "RuntimeError: planner fell over"]
    assert result.cases[0].metrics["routing_f1"] == 1.0
    assert result.cases[1].metrics["routing_f1"] == 0.0
    assert result.summary["routing_f1"] == 0.5 and result.summary["llm_calls/q"] == 1.0
    assert report.environment.seed == 13 and "pydantic" in report.environment.packages
    assert "fake" in capsys.readouterr().out


def test_cli_reports_bad_input_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evals.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", "page", "--dataset", str(tmp_path / "none.jsonl")])
    assert args.handler(args, Settings()) == 2
    args = parser.parse_args(["eval", "planning", "--config", "nope", "--out", str(tmp_path)])
    assert args.handler(args, Settings()) == 2
    err = capsys.readouterr().err
    assert "No cases file" in err and "Unknown configuration" in err


def page_with(*modules: tuple[str, list[ResultItem]]) -> Page:
    return Page(
        query="q",
        modules=[
            Module(id=f"m{n}", title=v, vertical=v, reason="test", items=items)
            for n, (v, items) in enumerate(modules)
        ],
        trace=Trace(planner="rule", llm_calls=2, llm_tokens=300, errors=["video: timed out"]),
    )


def test_page_scoring_reads_modules_and_trace() -> None:
    from evals.runner import Observation
    from evals.suites.page import PageCase, score_pages

    case = PageCase(id="p", query="pasta and a lamp", expected=["ideas", "shopping"])
    page = page_with(("ideas", []), ("shopping", []))
    ok = Observation(case=case, output=page, error=None, latency_ms=5.0)
    failed: Observation[PageCase, Page] = Observation(
        case=case, output=None, error="boom", latency_ms=1.0
    )
    good, bad = score_pages([ok, failed])
    assert good.metrics["module_ndcg"] == 1.0 and good.detail["page_errors"] == ["video: timed out"]
    assert bad.metrics["module_f1"] == 0.0 and bad.error == "boom"


async def test_constraint_pages_are_flattened_in_order_without_duplicates(tmp_path: Path) -> None:
    from evals.suites.constraints import from_pages
    from evals.suites.page import PageUnderTest

    page = page_with(("ideas", [QUICK_VEG, SLOW_VEG]), ("ideas", [QUICK_VEG, NO_TIME]))

    @asynccontextmanager
    async def pages(ctx: EvalContext) -> AsyncIterator[PageUnderTest]:
        async def make(query: str) -> Page:
            return page

        yield PageUnderTest(page=make, description="canned page")

    ctx = EvalContext(settings=Settings(home=tmp_path), console=Console(quiet=True))
    async with from_pages(pages)(ctx) as system:
        items = await system.call(SOUP)
    assert [i.id for i in items] == ["a", "b", "c"]
    assert system.description == "canned page"
