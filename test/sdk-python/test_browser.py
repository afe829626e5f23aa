"""The SDK's standalone browser methods: browser, browser_execute, list_browsers, delete_browser."""

import pytest
from firecrawl.v2.utils.error_handler import FirecrawlError


def test_create_execute_list_and_delete_a_browser(app):
    created = app.browser(ttl=120)
    assert created.success and created.id and created.cdp_url.startswith("ws")
    ran = app.browser_execute(created.id, code="echo from-bash", language="bash")
    assert ran.stdout == "from-bash\n"
    opened = app.browser_execute(created.id, code='await page.setContent("<title>Blank</title>")', language="node")
    assert opened.exit_code == 0, opened.stderr
    title = app.browser_execute(created.id, code="await page.title()", language="python")
    assert title.result == "Blank"
    active = app.list_browsers(status="active")
    assert created.id in [s.id for s in active.sessions]
    deleted = app.delete_browser(created.id)
    assert deleted.success is True
    destroyed = app.list_browsers(status="destroyed")
    assert created.id in [s.id for s in destroyed.sessions]
    assert created.id not in [s.id for s in app.list_browsers(status="active").sessions]
    with pytest.raises(FirecrawlError) as gone:
        app.browser_execute(created.id, code="echo again", language="bash")
    assert gone.value.status_code == 410
