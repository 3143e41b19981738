"""The explorer's depth in headless Chromium: linked-node facets, the Files tab and its manifest,
loading indicators, errors and empty states, against a live server holding the test cohort.

The cohort (tests/explore_cohort.py): subjects su-1..su-4 and ot-1, ot-2; su-3 alone has a
Metastatic sample; the unaligned-read files f-1 (su-1), f-2 and f-3 (su-2) lie four links
below the subjects, f-1 and f-2 with an object_id. Screenshots go to TEST_ARTIFACTS_DIR
when it is set (pytest keeps only its last three tmp folders), else to one of pytest's tmp
folders; the folder is printed at the end of the module (`explore screenshots: <folder>`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth_fixture import open_to_anonymous
from tests.explore_cohort import fresh_app, load_cohort
from tests.live_commons import served
from tests.test_dashboard_browser import CHROMIUM, browser, query, ready  # noqa: F401

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (make test installs Debian's chromium)"
)
SUBJECTS = 6


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory, request) -> Iterator[Path]:
    """The folder the module's screenshots are kept in, named at the end of the run."""
    kept = os.environ.get("TEST_ARTIFACTS_DIR")
    folder = Path(kept) / "explore" if kept else tmp_path_factory.mktemp("explore-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"explore screenshots: {folder}")


@pytest.fixture(scope="module")
def live_url(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> Iterator[str]:
    """The whole app over the cohort, served by uvicorn in a thread; the browser is anonymous."""
    app = fresh_app(graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("d"))
    load_cohort(graph_store, compiled_default)
    graph_store.write(
        "MATCH (f:submitted_unaligned_reads) WHERE f.submitter_id IN ['f-1', 'f-2'] "
        "SET f.object_id = 'dg.TEST/' + f.submitter_id"
    )
    open_to_anonymous(graph_store)
    with served(app) as url:
        yield url


@pytest.fixture
def page(browser, live_url: str) -> Iterator:  # noqa: F811
    """A fresh page that fails the test on a page error or a console error other than the
    browser's own line about a failed response (which the error tests cause on purpose)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=live_url)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == []


def shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def total(page, selector: str = "#total") -> int:
    return int(page.locator(selector).get_attribute("data-total"))


def test_a_linked_node_facet_filters_the_cohort(page, artifacts: Path) -> None:
    ready(page, "/?view=explore&type=subject")
    assert total(page) == SUBJECTS
    tabs = page.locator("#facet-tabs button").evaluate_all("b => b.map(t => t.dataset.facetTab)")
    assert tabs[0] == "subject" and {"sample", "demographic", "submitted_unaligned_reads"} <= set(
        tabs
    )
    page.locator("#facet-tabs button[data-facet-tab=sample]").click()
    ready(page)
    assert query(page)["ft"] == ["sample"]
    card = page.locator(".facet[data-field='sample.sample_type']")
    counts = dict(
        zip(
            card.locator("g.bucket").evaluate_all("g => g.map(b => b.dataset.key)"),
            card.locator("text.value").evaluate_all("t => t.map(x => x.textContent)"),
            strict=True,
        )
    )
    # Subjects, not samples: su-1's two samples count it once under each value.
    assert counts == {
        "Primary Tumor": "4",
        "Solid Tissue Normal": "1",
        "Metastatic": "1",
        "no data": "1",
    }
    shot(page, artifacts, "linked-facets")
    card.locator("g.bucket[data-key=Metastatic] rect.bar").click()
    ready(page)
    assert query(page)["f.sample.sample_type"] == ["Metastatic"]
    assert total(page) == 1
    assert page.locator("#total-label").inner_text() == "subject record matches"
    assert page.locator("#results tbody tr td a").all_inner_texts() == ["su-3"]
    assert page.locator("#facet-tabs button[data-facet-tab=sample] .badge").inner_text() == "1"
    shot(page, artifacts, "linked-facet-filtered")
    # Combined with the subject's own facet: Mus musculus is su-3 too; Homo sapiens is not.
    page.locator("#facet-tabs button[data-facet-tab=subject]").click()
    ready(page)
    page.locator(".facet[data-field=species] g.bucket[data-key='Mus musculus'] rect.bar").click()
    ready(page)
    assert total(page) == 1
    page.goto(page.url.replace("Mus+musculus", "Homo+sapiens"))
    ready(page)
    assert total(page) == 0
    assert page.locator("#no-results").inner_text() == "No subject records match these filters."
    shot(page, artifacts, "no-results")


def test_the_files_tab_lists_the_cohorts_files(page, artifacts: Path) -> None:
    ready(page, "/?view=explore&type=subject&f.species=Homo+sapiens")
    page.locator(".tabs a[data-tab=files]").click()
    ready(page)
    assert query(page)["tab"] == ["files"] and query(page)["f.species"] == ["Homo sapiens"]
    assert total(page, "#files-total") == 3
    picked = page.locator("#file-types a.active")
    assert picked.get_attribute("data-file-type") == "submitted_unaligned_reads"
    assert picked.get_attribute("data-count") == "3"
    rows = page.locator("#files tbody tr td:first-child").all_inner_texts()
    assert sorted(rows) == ["f-1", "f-2", "f-3"]
    shot(page, artifacts, "files")
    with page.expect_download() as download:
        page.locator("#files-manifest").click()
    path = artifacts / "manifest.json"
    download.value.save_as(path)
    manifest = json.loads(path.read_text())
    # Gen3's manifest: the files with an object_id (f-3 has none).
    assert sorted(entry["object_id"] for entry in manifest) == ["dg.TEST/f-1", "dg.TEST/f-2"]
    assert set(manifest[0]) == {"object_id", "subject_id", "md5sum", "file_name", "file_size"}
    # A cohort with no files: the empty state, and no manifest to download.
    page.goto("/?view=explore&type=subject&tab=files&f.sample.sample_type=Metastatic")
    ready(page)
    assert total(page, "#files-total") == 0
    assert page.locator("#no-files").is_visible()
    assert page.locator("#files-manifest").is_disabled()
    assert page.locator("#files-label").inner_text().startswith("data files below")
    shot(page, artifacts, "files-empty")


def test_a_slow_request_shows_loading_and_a_failed_one_its_error(page, artifacts: Path) -> None:
    held: list = []
    page.route("**/guppy/graphql", lambda route: held.append(route))
    page.goto("/?view=explore&type=subject")
    while len(held) < 2:
        page.wait_for_timeout(20)
    page.wait_for_selector("#loading", state="visible")
    assert page.locator("main").get_attribute("data-ready") == "false"
    shot(page, artifacts, "loading")
    for route in held:
        route.continue_()
    page.unroute("**/guppy/graphql")
    ready(page)
    page.wait_for_selector("#loading", state="hidden")

    page.route(
        "**/guppy/graphql",
        lambda route: route.fulfill(status=400, json={"errors": [{"message": "store away"}]}),
    )
    page.goto("/?view=explore&type=subject")
    page.wait_for_selector("main[data-ready=true]")
    assert page.locator("main .error[role=alert]").inner_text() == "store away"
    shot(page, artifacts, "error")
    page.unroute("**/guppy/graphql")
    page.route(
        "**/guppy/download",
        lambda route: route.fulfill(status=400, json={"message": "download refused"}),
    )
    ready(page, "/?view=explore&type=subject")
    page.locator("#export-tsv").click()
    page.wait_for_selector("#notice .error")
    assert page.locator("#notice .error").inner_text() == "download refused"
    assert page.locator("#export-tsv").is_enabled()
