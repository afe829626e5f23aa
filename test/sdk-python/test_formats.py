"""The formats question, highlights and changeTracking through the official Python SDK."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class ChangingPage:
    """A page on loopback whose text the test sets between scrapes."""

    def __init__(self):
        self.text = "First version of the notice."
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = f"<!doctype html><title>Notice</title><main><h1>Notice</h1><p>{page.text}</p></main>"
                data = body.encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notice"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def changing_page():
    page = ChangingPage()
    yield page
    page.close()


def test_question_is_answered_from_the_page(app, site):
    doc = app.scrape(f"{site}/article", formats=[{"type": "question", "question": "What is the title?"}])
    assert doc.answer
    assert doc.metadata.credits_used == 5


def test_highlights_are_lines_of_the_page(app, site):
    doc = app.scrape(f"{site}/article", formats=["markdown", {"type": "highlights", "query": "the title"}])
    assert doc.highlights
    assert doc.highlights.strip() in doc.markdown
    assert doc.metadata.credits_used == 5


def test_change_tracking_new_changed_same(app, changing_page):
    formats = ["markdown", {"type": "changeTracking", "modes": ["git-diff"]}]
    first = app.scrape(changing_page.url, formats=formats)
    assert first.change_tracking["changeStatus"] == "new"
    assert first.change_tracking["previousScrapeAt"] is None
    changing_page.text = "Second version of the notice."
    second = app.scrape(changing_page.url, formats=formats)
    assert second.change_tracking["changeStatus"] == "changed"
    assert "+Second version of the notice." in second.change_tracking["diff"]["text"]
    assert "-First version of the notice." in second.change_tracking["diff"]["text"]
    third = app.scrape(changing_page.url, formats=formats)
    assert third.change_tracking["changeStatus"] == "same"
    assert third.change_tracking["previousScrapeAt"] is not None
