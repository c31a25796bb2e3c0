"""Generation over REST and the CLI: the same result models as the library."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
from pypdf import PdfReader

from rapport.engine import Engine
from tests.conftest import Cli, LiveServer
from tests.generate_data import load


def test_rest_generation_routes(sqlite_engine: Engine) -> None:
    load(sqlite_engine)
    with LiveServer(sqlite_engine) as live, httpx.Client(base_url=live.url, timeout=60) as http:
        resume = http.post("/users/ana/resume")
        assert resume.status_code == 200 and resume.headers["content-type"] == "application/json"
        assert [e["item_id"] for e in resume.json()["experience"]] == ["py2", "py1"]
        for pdf in (
            http.post("/users/ana/resume", params={"format": "pdf"}),
            http.post("/users/ana/resume", headers={"Accept": "application/pdf"}),
        ):
            assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
            text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
            assert "Data Analysis with Pandas" in text
        assert http.post("/users/nobody/resume").status_code == 404

        post = http.post("/users/ana/post", json={"platform": "x", "achievement": "won a prize"})
        assert post.status_code == 200 and post.json()["characters"] <= 280
        wrong = http.post("/users/ana/post", json={"platform": "myspace", "achievement": "x"})
        assert wrong.status_code == 422 and "platform" in wrong.text

        path = http.post("/users/ana/learning-path", json={"passion": "guitar", "max_steps": 2})
        assert path.status_code == 200 and len(path.json()["steps"]) == 2

        tags = http.post("/tags", json={"text": "Python and pandas for data analysis"}).json()
        assert "python" in tags["tags"]

        keys = {"category": "yoga", "place": "Cascais", "price": 20, "discount": 25}
        draft = http.post("/items/draft", json=keys)
        assert draft.status_code == 200 and draft.json()["reduced_price"] == 15
        assert http.get("/items", params={"kind": "offer"}).json()["total"] == 0  # not stored
        bad = http.post("/items/draft", json={**keys, "discount": 120})
        assert bad.status_code == 422 and "discount" in bad.text

        log = http.get("/generations", params={"kind": "draft"}).json()
        assert [g["id"] for g in log] == [draft.json()["generation_id"]]
        kinds = {g["kind"] for g in http.get("/generations").json()}
        assert kinds == {"resume", "post", "learning_path", "tags", "draft"}
        assert http.post("/tags/posts").json() == {"checked": 0, "tagged": 0, "item_ids": []}


def test_cli_generation_commands(cli: Cli, tmp_path: Path) -> None:
    from tests.generate_data import EVENTS, ITEMS, USER

    for name, records in (("items", ITEMS), ("users", [USER]), ("events", EVENTS)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records))
        assert cli(name, "import", str(path)).returncode == 0
    pdf = tmp_path / "ana.pdf"
    resume = cli("generate", "resume", "ana", "--pdf", str(pdf), "--json").json()
    assert resume["experience"][0]["item_id"] == "py2" and pdf.read_bytes().startswith(b"%PDF")
    post = cli("generate", "post", "ana", "--platform", "x", "--achievement", "won", "--json")
    assert post.json()["characters"] <= 280
    assert cli("generate", "post", "ana", "--platform", "fax", "--achievement", "x").returncode == 2
    path = cli("generate", "path", "ana", "--passion", "guitar", "--json").json()
    assert path["steps"][0]["item_id"] == "g1"
    draft = cli(
        "generate", "draft", "--category", "spa", "--place", "Lisbon", "--price", "50",
        "--discount", "20", "--json",
    ).json()  # fmt: skip
    assert draft["reduced_price"] == 40
    shown = cli("generate", "draft", "--category", "spa", "--place", "Lisbon", "--price", "50")
    assert "spa at Lisbon" in shown.stdout
    tags = cli("tag", "Python and pandas for data analysis", "--json").json()
    assert "python" in tags["tags"]
    assert cli("tag").returncode == 2
    log = cli("generate", "log", "--json").json()
    assert [g["kind"] for g in log][:3] == ["tags", "draft", "draft"]
    # Imported posts without tags are tagged by the background job (`serve`, `worker`).
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "p1", "kind": "post", "text": "New jazz guitar chords!"}))
    assert cli("items", "import", str(posts)).returncode == 0
    worker = cli("worker", "--once")
    assert worker.returncode == 0 and "posts tagged: 1" in worker.stdout
    assert "guitar" in cli("items", "get", "p1", "--json").json()["tags"]
