"""The official Python SDK, firecrawl-py, against a Skiff that test/sdk-python.test.ts started.

Its environment names the server, the local test site and three teams' keys: `SKIFF_KEY` (credits
to spare, at most two sessions at once), `SKIFF_POOR_KEY` (too few credits for a session) and
`SKIFF_OTHER_KEY` (another team)."""

import os

import pytest
from firecrawl import Firecrawl


def client(key_variable):
    return Firecrawl(api_key=os.environ[key_variable], api_url=os.environ["SKIFF_URL"])


@pytest.fixture(scope="session")
def site():
    return os.environ["SITE_URL"]


@pytest.fixture(scope="session")
def app():
    return client("SKIFF_KEY")


@pytest.fixture(scope="session")
def poor_app():
    return client("SKIFF_POOR_KEY")


@pytest.fixture(scope="session")
def other_app():
    return client("SKIFF_OTHER_KEY")


@pytest.fixture
def session(app, site):
    """Scrapes a page of the site and stops its interact session after the test."""
    opened = []

    def open_page(path, **options):
        doc = app.scrape(f"{site}{path}", formats=["markdown"], **options)
        opened.append(doc.metadata.scrape_id)
        return doc.metadata.scrape_id

    yield open_page
    for scrape_id in opened:
        try:
            app.stop_interaction(scrape_id)
        except Exception:  # noqa: BLE001 - a session the test stopped itself, or never opened
            pass
