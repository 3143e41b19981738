"""The explorer's "Export to PFB" in headless Chromium: button, progress, then a link to the PFB.

Reuses the dashboard suite's live server over the demo data and its browser
(tests/test_dashboard_browser.py); the visitor signs in, as jobs are their
owner's.
"""

from __future__ import annotations

import io
from pathlib import Path

import fastavro
import httpx

from tests import test_dashboard_browser as dashboard
from tests.auth_fixture import access_token
from tests.test_dashboard_browser import ready, shot

# The dashboard suite's fixtures and its skip (no Chromium, no Playwright), shared.
browser, live_app, live_url, page = (
    dashboard.browser,
    dashboard.live_app,
    dashboard.live_url,
    dashboard.page,
)
pytestmark = dashboard.pytestmark


def test_export_to_pfb_dispatches_polls_and_links_the_file(page, live_app, tmp_path: Path) -> None:
    ready(page, "/?view=explore&type=subject")
    token = access_token(live_app, "pfb@dashboard")
    page.evaluate("token => sessionStorage.setItem('commons.accessToken', token)", token)
    ready(page, "/?view=explore&type=subject")
    page.locator(".facet[data-field=project_id] rect.bar").first.click()
    ready(page)
    total = int(page.locator("#total").get_attribute("data-total"))
    with page.expect_request("**/job/status?UID=*"):  # progress: the job is polled
        page.locator("#export-pfb").click()
    link = page.wait_for_selector("#pfb-link", timeout=60_000)
    shot(page, tmp_path, "export-pfb")
    answer = httpx.get(link.get_attribute("href"))
    assert answer.status_code == 200
    records = list(fastavro.reader(io.BytesIO(answer.content)))
    assert records[0]["name"] == "Metadata"
    subjects = [record for record in records if record["name"] == "subject"]
    assert 0 < len(subjects) == total
    assert {"program", "project"} <= {record["name"] for record in records}
