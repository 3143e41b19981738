"""The dashboard in headless Chromium, against a live server holding the demo data.

Debian's chromium is driven by Playwright (`make test` installs both; no
browser is downloaded). Each page is screenshotted into the test's tmp
folder, so a look at it is one `ls` away.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from engine.submission.demo import load_examples
from tests.auth_fixture import access_token, bearer, credentials_file, open_to_anonymous
from tests.explore_cohort import fresh_app
from tests.live_commons import served

CHROMIUM = Path("/usr/bin/chromium")
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (make test installs Debian's chromium)"
)


@pytest.fixture(scope="module")
def live_app(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> Starlette:
    return fresh_app(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


@pytest.fixture(scope="module")
def live_url(live_app: Starlette, graph_store, compiled_default, repo_root: Path) -> Iterator[str]:
    """The whole app over the demo data, served by uvicorn in a thread; the browser is anonymous."""
    open_to_anonymous(graph_store)
    load_examples(
        graph_store, compiled_default, repo_root / "dictionaries" / "default" / "examples"
    )
    with served(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_url: str) -> Iterator:
    """A fresh page that fails the test on any console error or page error."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=live_url)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == []


def ready(page, path: str | None = None) -> None:
    if path is not None:
        page.goto(path)
    page.wait_for_selector("main[data-ready=true]")
    assert page.locator("main .error").count() == 0, page.locator("main .error").inner_text()


def shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_dictionary_graph_renders_every_node_type(page, tmp_path: Path, compiled_default) -> None:
    ready(page, "/")
    shown = set(
        page.locator("svg.graph g.node").evaluate_all("nodes => nodes.map(n => n.dataset.type)")
    )
    assert shown == set(compiled_default.dictionary.nodes)
    subjects = page.locator("svg.graph g.node[data-type=subject] text.count").text_content()
    assert subjects.endswith("records") and not subjects.startswith("0 ")
    page.locator("svg.graph g.node[data-type=sample]").click()
    page.wait_for_selector("#node-details h2:has-text('sample')")
    assert page.locator("table.properties td code", has_text="tissue_type").count() == 1
    assert query(page)["type"] == ["sample"]
    shot(page, tmp_path, "dictionary")


def test_project_overview_counts_per_type(page, tmp_path: Path) -> None:
    ready(page, "/?view=projects")
    assert page.locator("#project-counts thead th[data-project=demo-omics]").count() == 1
    row = page.locator("#project-counts tbody tr[data-type=sample]")
    assert row.locator("td.number a").first.text_content() == "18"
    row.locator("td.number a").first.click()
    ready(page)
    assert query(page)["f.project_id"] == ["demo-omics"] and query(page)["type"] == ["sample"]
    assert page.locator("#total").get_attribute("data-total") == "18"
    shot(page, tmp_path, "projects-to-explorer")
    page.goto("/?view=projects")
    ready(page)
    shot(page, tmp_path, "projects")


def test_clicking_a_facet_value_changes_counts_url_and_table(page, tmp_path: Path) -> None:
    ready(page, "/?view=explore&type=sample")
    total = int(page.locator("#total").get_attribute("data-total"))
    rows = page.locator("#results tbody tr").count()
    assert total > 1 and rows == min(total, 20)
    shot(page, tmp_path, "explorer")
    bar = page.locator(".facet[data-field=sample_type] g.bucket").first
    value = bar.get_attribute("data-key")
    bar.locator("rect.bar").click()
    ready(page)
    assert query(page)["f.sample_type"] == [value]
    filtered = int(page.locator("#total").get_attribute("data-total"))
    assert 0 < filtered < total
    assert page.locator("#results tbody tr").count() == min(filtered, 20)
    assert page.locator(f".chip[data-field=sample_type][data-value='{value}']").count() == 1
    columns = page.locator("#results thead th").evaluate_all("th => th.map(t => t.dataset.column)")
    column = columns.index("sample_type")
    kept = page.locator("#results tbody tr").evaluate_all(
        f"rows => rows.map(r => r.cells[{column}].textContent)"
    )
    assert set(kept) == {value}
    shot(page, tmp_path, "explorer-filtered")
    page.reload()
    ready(page)
    assert int(page.locator("#total").get_attribute("data-total")) == filtered
    page.locator(".chip button").click()
    ready(page)
    assert int(page.locator("#total").get_attribute("data-total")) == total
    assert "f.sample_type" not in query(page)


def test_number_facets_filter_by_range(page) -> None:
    ready(page, "/?view=explore&type=sample")
    total = int(page.locator("#total").get_attribute("data-total"))
    page.locator(".facet[data-field=weight_mg] rect.bar:not(.off)").first.click()
    ready(page)
    assert query(page)["f.weight_mg"][0].count("..") == 1
    assert 0 < int(page.locator("#total").get_attribute("data-total")) < total


def test_export_tsv_downloads_the_filtered_records(page, tmp_path: Path) -> None:
    ready(page, "/?view=explore&type=sample")
    page.locator(".facet[data-field=sample_type] rect.bar").first.click()
    ready(page)
    filtered = int(page.locator("#total").get_attribute("data-total"))
    with page.expect_download() as download:
        page.locator("#export-tsv").click()
    path = tmp_path / "sample.tsv"
    download.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("id\tproject_id") and len(lines) == filtered + 1


def test_a_record_neighbourhood_expands_on_click(page, tmp_path: Path) -> None:
    ready(page, "/?view=explore&type=sample")
    page.locator("#results tbody tr td a").first.click()
    ready(page)
    assert query(page)["view"] == ["record"]
    graph = page.locator("svg#neighbourhood")
    before = graph.locator("g.node").count()
    assert before > 1
    shot(page, tmp_path, "record")
    neighbour = graph.locator("g.node:not(.centre):not(.more):not(.expanded)").first
    key = neighbour.get_attribute("data-key")
    neighbour.locator("circle").click()
    page.wait_for_selector(f"svg#neighbourhood g.node.expanded[data-key='{key}']")
    assert graph.locator("g.node").count() > before
    assert page.locator("#record h2").first.inner_text().startswith(key.split(":")[0])
    shot(page, tmp_path, "record-expanded")


def test_a_file_manifest_lists_the_files_shown(page, tmp_path: Path) -> None:
    ready(page, "/?view=explore&type=submitted_unaligned_reads")
    total = int(page.locator("#total").get_attribute("data-total"))
    with page.expect_download() as download:
        page.locator("#export-manifest").click()
    path = tmp_path / "manifest.json"
    download.value.save_as(path)
    manifest = json.loads(path.read_text())
    assert len(manifest) == total > 0
    assert set(manifest[0]) == {"id", "object_id", "file_name", "file_size", "md5sum", "project_id"}


def test_signing_in_with_a_credentials_file_and_out(page, live_app, tmp_path: Path) -> None:
    credentials = credentials_file(live_app, "reader@dashboard", tmp_path / "credentials.json")
    ready(page, "/?view=projects")
    page.click("#account button:text('Sign in')")
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog", state="detached")
    page.click("#account button:text('Sign in')")
    page.fill("dialog textarea", "{}")
    page.click("dialog button[type=submit]")
    assert page.locator("dialog .error").inner_text() == "That credentials.json has no api_key."
    shot(page, tmp_path, "sign-in")
    page.set_input_files("dialog input[type=file]", str(credentials))
    page.wait_for_function("document.querySelector('dialog textarea').value.includes('api_key')")
    with page.expect_request("**/api/v0/explore/**") as asked:  # the page is drawn again
        page.click("dialog button[type=submit]")
    assert asked.value.headers["authorization"].startswith("Bearer ")
    assert page.locator("#account .user").inner_text() == "reader@dashboard"
    assert page.locator("dialog").count() == 0
    shot(page, tmp_path, "signed-in")
    page.click("#account button:text('Sign out')")
    page.wait_for_selector("#account button:text('Sign in')")
    with page.expect_request("**/api/v0/explore/**") as asked:
        page.reload()
    assert "authorization" not in asked.value.headers


def test_submissions_list_the_last_transactions_with_their_state(
    page, live_app, tmp_path: Path
) -> None:
    """The transaction log through peregrine's query, newest first, coloured by state."""
    admin = TestClient(live_app, headers=bearer(live_app, "admin@dashboard", admin=True))
    refused = admin.put(
        "/api/v0/submission/demo/omics",
        json=[{"type": "subject", "submitter_id": "no-study", "studies": {"submitter_id": "x"}}],
    )
    assert refused.status_code == 400
    ready(page, "/?view=projects")
    token = access_token(live_app, "admin@dashboard", admin=True)
    page.evaluate("token => sessionStorage.setItem('commons.accessToken', token)", token)
    page.click("header nav a[data-view=submissions]")
    ready(page)
    rows = page.locator("#submissions tbody tr")
    ids = [int(i) for i in rows.evaluate_all("rows => rows.map(r => r.dataset.id)")]
    assert ids == sorted(ids, reverse=True) and len(ids) > 1
    newest = rows.first
    assert newest.get_attribute("data-id") == str(refused.json()["transaction_id"])
    assert newest.get_attribute("data-state") == "FAILED"
    cells = newest.locator("td").all_inner_texts()
    assert cells[1:3] == ["admin@dashboard", "demo-omics"] and cells[3].endswith(" UTC")
    assert int(newest.locator("td[data-bytes]").get_attribute("data-bytes")) == len(
        refused.request.content
    )
    succeeded = page.locator("#submissions tr[data-state=SUCCEEDED] .state").first
    failed = newest.locator(".state")
    assert "failed" in failed.get_attribute("class")
    colour = "e => getComputedStyle(e).backgroundColor"
    assert failed.evaluate(colour) != succeeded.evaluate(colour)
    shot(page, tmp_path, "submissions")
