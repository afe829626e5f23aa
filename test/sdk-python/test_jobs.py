"""Crawl, batch scrape and map through the official Python SDK."""

import time
from urllib.parse import urlparse

SITE_PAGES = ["/", "/article", "/form", "/long", "/tabs"]


def paths(documents):
    return sorted(urlparse(doc.metadata.source_url).path or "/" for doc in documents)


def test_crawl_runs_to_completion(app, site):
    job = app.crawl(f"{site}/", limit=20, scrape_options={"formats": ["markdown"]}, poll_interval=1, timeout=120)
    assert job.status == "completed"
    assert paths(job.data) == SITE_PAGES
    assert job.completed == job.total
    assert job.credits_used == len(SITE_PAGES)


def test_start_crawl_then_get_crawl_status_to_the_end(app, site):
    started = app.start_crawl(f"{site}/", limit=20, include_paths=["^/(article|tabs)?$"])
    status = app.get_crawl_status(started.id)
    for _ in range(240):
        if status.status != "scraping":
            break
        time.sleep(0.5)
        status = app.get_crawl_status(started.id)
    assert status.status == "completed"
    assert paths(status.data) == ["/", "/article", "/tabs"]
    errors = app.get_crawl_errors(started.id)
    assert errors.errors == [] and errors.robots_blocked == []


def test_batch_scrape_and_map(app, site):
    job = app.batch_scrape([f"{site}/article", f"{site}/tabs"], formats=["markdown"], poll_interval=1, wait_timeout=120)
    assert job.status == "completed"
    assert paths(job.data) == ["/article", "/tabs"]
    mapped = app.map(f"{site}/", search="form")
    assert urlparse(mapped.links[0].url).path == "/form"
    assert {"/article", "/tabs", "/long"} <= {urlparse(link.url).path for link in mapped.links}
