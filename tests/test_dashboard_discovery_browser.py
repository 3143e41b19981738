"""The dashboard's Discovery view in headless Chromium, against a live server.

Studies are published through the MDS API as an admin (and the demo's own
study by the demo loader); the browser is anonymous, as a portal visitor.
Each page is screenshotted into the test's tmp folder, as in
tests/test_dashboard_browser.py, whose browser and helpers it shares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from engine.metadata.demo import publish_demo_studies
from engine.submission.demo import load_examples
from tests.auth_fixture import bearer, open_to_anonymous
from tests.explore_cohort import fresh_app
from tests.live_commons import served
from tests.test_dashboard_browser import CHROMIUM, browser, query, ready, shot

__all__ = ["browser"]  # the shared module-scoped Chromium, a fixture here too
pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (make test installs Debian's chromium)"
)

DEMO = "phs900001"  # the demo project's accession: its study's guid


def _study(**study: Any) -> dict[str, Any]:
    return {"_guid_type": "discovery_metadata", "gen3_discovery": study}


STUDIES = {
    "phs-lung": _study(
        full_name="Lung adenocarcinoma atlas",
        study_description="Whole genomes of never-smokers with lung adenocarcinoma.",
        project_id="demo-lung",  # a project this commons does not hold
        _subjects_count=40,
        tags=[{"name": "Lung", "category": "Disease"}, {"name": "WGS", "category": "Data Type"}],
    ),
    "phs-heart": _study(
        full_name="Cardiac imaging cohort",
        study_description="MRI of a heart failure cohort, with follow-up visits.",
        _subjects_count="120",  # as text, as a study published from a TSV may hold it
        tags=[
            {"name": "Heart", "category": "Disease"},
            {"name": "Imaging", "category": "Data Type"},
        ],
    ),
    "phs-colon-rna": _study(
        full_name="Colon expression panel",
        study_description="Expression of colon tumours next to normal tissue.",
        project_id="demo-omics",
        _subjects_count=3,
        sites=[{"name": "North clinic", "country": "NO"}, {"name": "South clinic"}],
        tags=[{"name": "Lung", "category": "Disease"}, {"name": "WGS", "category": "Data Type"}],
    ),
}


@pytest.fixture(scope="module")
def live_app(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> Starlette:
    return fresh_app(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


@pytest.fixture(scope="module")
def admin(live_app: Starlette) -> TestClient:
    return TestClient(live_app, headers=bearer(live_app, "admin@discovery", admin=True))


@pytest.fixture(scope="module")
def live_url(
    live_app: Starlette, admin: TestClient, graph_store, compiled_default, repo_root: Path
) -> Iterator[str]:
    """The demo data and its study, three studies published through MDS, and a file record."""
    open_to_anonymous(graph_store)
    examples = repo_root / "dictionaries" / "default" / "examples"
    load_examples(graph_store, compiled_default, examples)
    for _ in range(2):  # publishing again changes nothing
        assert publish_demo_studies(graph_store, compiled_default, examples) == [DEMO]
    for guid, blob in STUDIES.items():
        assert admin.post(f"/mds/metadata/{guid}", json=blob).status_code == 201
    file_record = {"_guid_type": "indexed_file_object", "full_name": "not a study"}
    assert admin.post("/mds/metadata/a-file", json=file_record).status_code == 201
    with served(live_app) as url:
        yield url


@pytest.fixture
def page(browser, live_url: str) -> Iterator:
    """A fresh page; a console or page error fails the test unless the test took it out."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=live_url)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()
    assert page.problems == []


def shown(page) -> list[str]:
    return page.locator("#studies tbody tr").evaluate_all("rows => rows.map(r => r.dataset.guid)")


def total(page) -> str:
    return page.locator("#discovery-total").inner_text()


def test_search_narrows_and_tags_filter_the_studies(page, tmp_path: Path) -> None:
    ready(page, "/")
    page.click("header nav a[data-view=discovery]")
    ready(page)
    assert sorted(shown(page)) == sorted([DEMO, *STUDIES])  # not the file record
    assert total(page) == "4 studies"
    demo = page.locator(f"#studies tr[data-guid={DEMO}]")
    assert demo.locator("td").first.inner_text().startswith("Colorectal cancer multi-omics")
    assert demo.locator("td.number").inner_text() == "10"  # _subjects_count when published
    shot(page, tmp_path, "discovery")

    page.fill("#discovery-search", "cardiac")
    assert shown(page) == ["phs-heart"] and total(page) == "1 of 4 studies"
    assert query(page)["q"] == ["cardiac"]
    page.fill("#discovery-search", "CLINIC north")  # every word, any field, nested ones too
    assert shown(page) == ["phs-colon-rna"]
    page.fill("#discovery-search", "")
    assert len(shown(page)) == 4

    lung = page.locator("#discovery-tags button[data-category=Disease][data-name=Lung]")
    assert lung.locator(".count").inner_text() == "2"
    lung.click()
    assert sorted(shown(page)) == ["phs-colon-rna", "phs-lung"]
    assert lung.get_attribute("aria-pressed") == "true"
    assert query(page)["t.Disease"] == ["Lung"]
    page.click("#discovery-tags button[data-category=Disease][data-name=Heart]")  # OR
    assert sorted(shown(page)) == ["phs-colon-rna", "phs-heart", "phs-lung"]
    page.fill("#discovery-search", "colon")  # AND with the tags
    assert shown(page) == ["phs-colon-rna"] and total(page) == "1 of 4 studies"
    shot(page, tmp_path, "discovery-filtered")
    page.reload()  # the URL holds the search and the tags
    ready(page)
    assert shown(page) == ["phs-colon-rna"]
    assert page.locator("#discovery-search").input_value() == "colon"

    page.fill("#discovery-search", "no such study anywhere")
    assert shown(page) == [] and page.locator("#discovery-empty").is_visible()
    assert total(page) == "0 of 4 studies"
    shot(page, tmp_path, "discovery-empty")
    page.click("#discovery-empty button")
    assert len(shown(page)) == 4 and "q" not in query(page) and "t.Disease" not in query(page)


def test_columns_sort_both_ways(page) -> None:
    ready(page, "/?view=discovery")
    assert shown(page) == ["phs-heart", "phs-colon-rna", DEMO, "phs-lung"]  # by name
    page.click("#studies th[data-column=subjects] a")
    assert shown(page) == ["phs-colon-rna", DEMO, "phs-lung", "phs-heart"]
    assert query(page)["sort"] == ["subjects"]
    page.click("#studies th[data-column=subjects] a")
    assert shown(page) == ["phs-heart", "phs-lung", DEMO, "phs-colon-rna"]
    assert page.locator("#studies th[data-column=subjects]").get_attribute("aria-sort") == (
        "descending"
    )
    page.click("#studies th[data-column=project] a")  # studies naming no project last
    assert shown(page) == ["phs-lung", "phs-colon-rna", DEMO, "phs-heart"]


def _subjects(page) -> int:
    return int(page.locator("#study-counts tr[data-kind=subjects]").get_attribute("data-count"))


def test_a_study_page_counts_live_and_links_to_the_explorer(
    page, admin: TestClient, tmp_path: Path
) -> None:
    ready(page, "/?view=discovery")
    page.click(f"#studies tr[data-guid={DEMO}] td a")
    ready(page)
    assert query(page) == {"view": ["discovery"], "guid": [DEMO]}
    assert page.locator("#study-name").inner_text().startswith("Colorectal cancer multi-omics")
    assert page.locator("#study-counts").get_attribute("data-project") == "demo-omics"
    before = _subjects(page)
    counts = admin.get(f"/discovery/studies/{DEMO}/counts").json()
    assert before == counts["subjects"] > 0
    files = page.locator("#study-counts tr[data-kind=files]").get_attribute("data-count")
    assert int(files) == counts["files"]
    investigator = page.locator("#study-metadata tr[data-field=investigator] table.nested")
    assert "Example University" in investigator.inner_text()  # a nested value, as a table
    shot(page, tmp_path, "study")

    subject = {
        "type": "subject",
        "submitter_id": "CRC-LATE",
        "studies": {"submitter_id": "CRC-STUDY"},
    }
    assert admin.put("/api/v0/submission/demo/omics", json=subject).status_code == 200
    page.reload()
    ready(page)
    assert _subjects(page) == before + 1
    shot(page, tmp_path, "study-after-submission")

    page.click("#study-explore")
    ready(page)
    assert query(page)["f.project_id"] == ["demo-omics"]
    page.goto(f"/?view=discovery&guid={DEMO}")
    ready(page)
    page.click("#study-counts tr[data-kind=subjects] a")
    ready(page)
    assert query(page)["type"] == ["subject"]
    assert int(page.locator("#total").get_attribute("data-total")) == before + 1


def test_a_study_naming_no_project_here_and_nested_lists(page, tmp_path: Path) -> None:
    ready(page, "/?view=discovery&guid=phs-lung")
    assert page.locator("#study-counts").get_attribute("data-project") == ""
    assert "names no project this commons holds" in page.locator("#study-counts").inner_text()
    ready(page, "/?view=discovery&guid=phs-colon-rna")
    sites = page.locator("#study-metadata tr[data-field=sites] ol.nested > li")
    assert sites.count() == 2 and "North clinic" in sites.first.inner_text()
    tags = page.locator(".chips .discovery-tag")
    assert tags.all_inner_texts() == ["Lung", "WGS"]
    swatch = tags.first.get_attribute("style")
    tags.first.click()
    ready(page)
    assert query(page)["t.Disease"] == ["Lung"]
    chip = page.locator("#discovery-tags button[data-category=Disease][data-name=Lung]")
    assert chip.get_attribute("style") == swatch  # a category's colour, on every page
    assert sorted(shown(page)) == ["phs-colon-rna", "phs-lung"]
    shot(page, tmp_path, "study-unlinked")


def test_loading_and_errors_are_shown(page) -> None:
    held: list = []
    page.route(re.compile(r".*/mds/metadata\?.*"), lambda route: held.append(route))
    page.goto("/?view=discovery")
    page.wait_for_selector("#loading")
    while not held:
        page.wait_for_timeout(20)
    held[0].fulfill(status=403, json={"detail": "this needs the mds_gateway permission"})
    page.wait_for_selector("main[data-ready=true]")
    assert page.locator("main .error").inner_text() == "this needs the mds_gateway permission"
    page.unroute(re.compile(r".*/mds/metadata\?.*"))
    page.goto("/?view=discovery&guid=no-such-study")
    page.wait_for_selector("main[data-ready=true]")
    assert page.locator("main .error").inner_text() == "Not found: no-such-study"
    for _ in range(100):  # the browser logs each refused request: the 403, then two 404s
        if len(page.problems) == 3:
            break
        page.wait_for_timeout(20)
    assert [p.split("status of ")[1][:3] for p in page.problems] == ["403", "404", "404"]
    page.problems.clear()
