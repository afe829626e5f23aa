"""Search and extract through the official Python SDK. The search backend is a SearXNG-shaped
server on loopback (test/fixtures/searxng.ts) whose web results are pages of the local test site."""

from urllib.parse import urlparse

import pytest
from firecrawl.v2.types import ScrapeOptions

TITLE_SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}


def test_search_returns_the_backends_results(app):
    results = app.search("skiff test pages", limit=3)
    assert [urlparse(r.url).path for r in results.web] == ["/article", "/tabs", "/form"]
    assert results.web[0].title == "Article result"
    assert results.web[0].description == "What the engine said about the article."


def test_search_with_scrape_options_carries_each_pages_markdown(app):
    results = app.search("skiff test pages", limit=2, scrape_options=ScrapeOptions(formats=["markdown"]))
    assert [urlparse(doc.metadata.source_url).path for doc in results.web] == ["/article", "/tabs"]
    assert "Skiff Test Article" in results.web[0].markdown
    assert all(doc.metadata.status_code == 200 for doc in results.web)


# The SDK warns on every extract call that upstream keeps the endpoint in maintenance mode.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_extract_runs_to_completion(app, site):
    result = app.extract(
        urls=[f"{site}/article"],
        prompt="The article's title.",
        schema=TITLE_SCHEMA,
        poll_interval=1,
        timeout=120,
    )
    assert result.status == "completed"
    assert result.data == {"title": "Skiff Test Article"}
    assert result.credits_used and result.credits_used > 0
