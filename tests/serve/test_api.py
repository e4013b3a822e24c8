"""The JSON API of ``placement serve``: the same answers as the library, and a located 4xx
for every bad request, never a 500."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import placement  # noqa: E402
from placement.model import Scenario  # noqa: E402
from placement.serve.app import create_app  # noqa: E402
from placement.serve.workspace import Workspace  # noqa: E402

TINY = "instances/tiny-budget"
TIMINGS = {"build_seconds", "solve_seconds"}
#: the time limit the server gives a request that sets none (recorded in the result)
LIMIT = 60


@pytest.fixture(scope="module")
def tiny() -> TestClient:
    ws = Workspace(placement.load(TINY), TINY)
    return TestClient(create_app(ws), raise_server_exceptions=False)


def _same(api: dict, lib: dict) -> None:
    """The API's result JSON is the library's (the CLI's -f json), timings aside."""
    lib = json.loads(json.dumps(lib))
    assert _untimed(api) == _untimed(lib)


def _untimed(d: object) -> object:
    """``d`` without wall-clock figures: the run's seconds and every ``*seconds`` key below
    (a time-limited solve records how long each of its phases took)."""
    if isinstance(d, dict):
        return {k: _untimed(v) for k, v in d.items()
                if k not in TIMINGS and not str(k).endswith("seconds")}
    if isinstance(d, list):
        return [_untimed(v) for v in d]
    return d


@pytest.mark.parametrize("w", [0.0, 0.5, 2.0, 3.7])
def test_slider_equals_library(tiny: TestClient, w: float) -> None:
    got = tiny.post("/api/solve", json={"weights": {"scale": w}})
    assert got.status_code == 200
    inst = placement.apply_overrides(placement.load(TINY), {"scale": w})
    _same(got.json(), json.loads(placement.solve(inst, time_limit=LIMIT).to_json()))


def test_budget_equals_library_and_toml_repeats_it(tiny: TestClient, tmp_path: Path) -> None:
    req = {"weights": {"local": 1.5}, "budgets": {"staff": 20.0}}
    got = tiny.post("/api/solve", json=req).json()
    inst = placement.apply_overrides(placement.load(TINY), {"local": 1.5})
    lib = placement.solve(inst, scenario=Scenario(id="page", budgets={"staff": 20.0}),
                          time_limit=LIMIT)
    _same(got, json.loads(lib.to_json()))
    # the downloaded scenario, pasted into instance.toml, places every function the same
    toml = tiny.post("/api/scenario.toml", json=req)
    assert toml.status_code == 200 and "attachment" in toml.headers["content-disposition"]
    copy = tmp_path / "tiny"
    shutil.copytree(TINY, copy)
    with open(copy / "instance.toml", "a", encoding="utf-8") as fh:
        fh.write("\n" + toml.text)
    again = placement.solve(placement.load(copy), scenario="page")
    assert again.tiers.to_dict() == {p["function"]: p["tier"] for p in got["placements"]}
    assert again.objective == pytest.approx(got["objective"])


def test_infeasible_budget_gets_diagnosis_in_words(tiny: TestClient) -> None:
    got = tiny.post("/api/solve", json={"budgets": {"staff": 1}}).json()
    assert got["status"] == "infeasible" and not got["placements"]
    assert "staff budget 1 FTE is" in got["diagnosis"]["relaxations"][0]["message"]


def test_explain_evaluate_compare_csv_xlsx(tiny: TestClient) -> None:
    e = tiny.post("/api/explain", json={"function": "commissioning"}).json()
    lib = placement.analysis.explain(placement.load(TINY), "commissioning")
    assert (e["tier"], e["runner_up"]) == (lib.tier, lib.runner_up) == ("region", "national")
    ev = tiny.post("/api/evaluate", json={"placement": "current"}).json()
    assert ev["status"] == "feasible" and ev["solver"] == "fixed"
    mapping = {"procurement": "local", "prevention": "local", "commissioning": "local",
               "workforce": "local"}
    assert tiny.post("/api/evaluate", json={"placement": mapping}).json()["status"] == \
        "infeasible"
    cmp = tiny.post("/api/compare", json={}).json()
    assert cmp["options"][0]["kind"] == "optimum"
    csv = tiny.post("/api/result.csv", json={}).text.splitlines()
    assert csv[0].startswith("function,") and len(csv) == 5
    x = tiny.post("/api/result.xlsx", json={})
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_openapi_and_no_cdn_page(tiny: TestClient) -> None:
    schema = tiny.get("/openapi.json").json()
    for p in ("/api/solve", "/api/evaluate", "/api/explain", "/api/compare", "/api/map"):
        post = schema["paths"][p]["post"]
        assert "requestBody" in post
        for code in ("400", "413", "415", "422"):
            ref = post["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody")
    assert "weights" in schema["components"]["schemas"]["SolveRequest"]["properties"]
    assert tiny.get("/docs").status_code == 404  # Swagger's page loads from a CDN
    page = tiny.get("/").text
    assert "/static/app.js" in page
    static = Path(placement.__file__).parent / "serve" / "static"
    for f in static.iterdir():
        text = f.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, f


BAD = [
    ("{bad", 400, "line 1 column 2"),
    ('{\n  "weights": {"scale": 2,}\n}', 400, "line 2 column 26"),
    ("[]", 422, "body"),
    ('"x"', 422, "body"),
    ("", 422, "body"),
    ('{"weights": {"scale": "x"}}', 422, "body.weights.scale"),
    ('{"weights": {"scale": "2"}}', 422, "body.weights.scale"),
    ('{"weights": {"scale": true}}', 422, "body.weights.scale"),
    ('{"scenario": 3}', 422, "body.scenario"),
    ('{"weights": {"nope": 1}}', 422, "body.weights['nope']"),
    ('{"weights": {"scale": -1}}', 422, "body.weights['scale']"),
    ('{"weights": {"scale": 2e6}}', 422, "body.weights['scale']"),
    ('{"weights": {"scale": NaN}}', 422, "body.weights['scale']"),
    ('{"weights": {"scale": 1e400}}', 422, "body.weights['scale']"),
    ('{"weights": {"scale": 0, "local": 0}}', 422, "body.weights"),
    ('{"scenario": "nope"}', 422, "body.scenario"),
    ('{"budgets": {"money": 3}}', 422, "body.budgets['money']"),
    ('{"budgets": {"staff": -3}}', 422, "body.budgets['staff']"),
    ('{"caps": {"staff": {"moon": 3}}}', 422, "body.caps['staff']['moon']"),
    ('{"heterogeneity": 0.5}', 422, "body.heterogeneity"),
    ('{"time_limit": 0}', 422, "body.time_limit"),
    ('{"surprise": 1}', 422, "body.surprise"),
    ("[" * 100_000, 400, "cannot be read as JSON"),
    (b"\xff\xfe{}", 400, ""),
]


@pytest.mark.parametrize(("body", "status", "where"), BAD)
def test_bad_request_is_located_4xx(tiny: TestClient, body: str | bytes, status: int,
                                    where: str) -> None:
    got = tiny.post("/api/solve", content=body, headers={"content-type": "application/json"})
    assert got.status_code == status, got.text
    err = got.json()
    assert where in err["error"]
    assert "Traceback" not in got.text


@pytest.mark.parametrize(("path", "body", "where"), [
    ("/api/explain", {"function": "nope"}, "body.function"),
    ("/api/explain", {"function": "commissioning", "area": "x"}, "body.area"),
    ("/api/map", {"function": "commissioning"}, "body.level"),
    ("/api/evaluate", {"placement": "nope"}, "body.placement"),
    ("/api/evaluate", {"placement": {"procurement": "moon"}}, "procurement"),
    ("/api/compare", {"scenarios": ["nope"]}, "body.scenarios[0]"),
])
def test_bad_request_per_endpoint(tiny: TestClient, path: str, body: dict, where: str) -> None:
    got = tiny.post(path, json=body)
    assert got.status_code == 422 and where in got.json()["error"], got.text


def test_huge_payload_is_413_before_reading(tiny: TestClient) -> None:
    got = tiny.post("/api/solve", content=b'{"weights": {' + b" " * 400_000 + b"}}",
                    headers={"content-type": "application/json"})
    assert got.status_code == 413 and "at most 262144 bytes" in got.json()["error"]


def test_not_json_is_415_and_a_bad_length_400(tiny: TestClient) -> None:
    for ct in ("text/plain", "application/x-www-form-urlencoded", None):
        got = tiny.post("/api/solve", content=b'{"weights": {}}',
                        headers={} if ct is None else {"content-type": ct})
        assert got.status_code == 415 and "Content-Type: application/json" in got.json()["error"]
    got = tiny.post("/api/solve", content=b"{}", headers={"content-type": "application/json",
                                                          "content-length": "lots"})
    assert got.status_code == 400 and "Content-Length" in got.json()["error"]


def test_unknown_route_and_method(tiny: TestClient) -> None:
    assert tiny.get("/api/nope").status_code == 404
    assert tiny.get("/api/solve").status_code == 405


def test_no_request_gets_a_500(tiny: TestClient) -> None:
    """Random bytes and random JSON at every endpoint: always a 4xx or a 200."""
    rng = random.Random(16)
    keys = ["scenario", "weights", "budgets", "caps", "heterogeneity", "time_limit",
            "function", "area", "placement", "scenarios", "level", "by_area", "optimise"]
    values = [None, True, -1, 0, 1e308, "scale", "staff", "", [], {}, {"scale": 1},
              {"staff": {"national": 1}}, ["x"], "current", "utla"]
    paths = ["/api/solve", "/api/evaluate", "/api/explain", "/api/compare", "/api/map",
             "/api/scenario.toml", "/api/result.csv", "/api/result.xlsx"]
    for _ in range(150):
        if rng.random() < 0.3:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        else:
            body = json.dumps({rng.choice(keys): rng.choice(values)
                               for _ in range(rng.randrange(4))}).encode()
        got = tiny.post(rng.choice(paths), content=body,
                        headers={"content-type": "application/json"})
        assert got.status_code < 500, (body, got.text)


def test_requests_leave_the_loaded_instance_alone() -> None:
    base = placement.load(TINY)
    ws = Workspace(base, TINY)
    before = base.model.weights.copy()
    c = TestClient(create_app(ws))
    c.post("/api/solve", json={"weights": {"scale": 4}, "budgets": {"staff": 10}})
    assert (base.model.weights == before).all() and base.resources[0].budget == 50
    assert ws.base is base
