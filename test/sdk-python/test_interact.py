"""Scrape and interact as Firecrawl's interact guide writes them, with the official SDK."""

import base64
import re

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_scrape_gives_markdown_and_a_scrape_id(app, site):
    doc = app.scrape(f"{site}/article", formats=["markdown"])
    assert "known content" in doc.markdown
    assert re.fullmatch(r"[0-9a-f-]{36}", doc.metadata.scrape_id)
    assert doc.metadata.status_code == 200


def test_node_python_and_bash_calls_share_the_clicked_tab(app, session):
    scrape_id = session("/tabs")
    hidden = app.interact(scrape_id, code='await page.locator("#two").isVisible()')
    assert hidden.result == "false"
    clicked = app.interact(scrape_id, code='await page.click("button[data-panel=two]")', language="python")
    assert clicked.success and clicked.exit_code == 0
    node = app.interact(scrape_id, code='await page.locator("#two").innerText()')
    assert node.result == "Second panel content revealed"
    python = app.interact(
        scrape_id,
        code='print(await page.title())\nawait page.locator("#two").is_visible()',
        language="python",
    )
    assert python.stdout == "Tabs page\n"
    assert python.result == "true"
    bash = app.interact(scrape_id, code="agent-browser get text '#two'", language="bash")
    assert bash.stdout.strip() == "Second panel content revealed"


def test_a_screenshot_comes_back_as_base64_png(app, session):
    scrape_id = session("/article")
    code = "import base64\nbase64.b64encode(await page.screenshot(full_page=True)).decode()"
    response = app.interact(scrape_id, code=code, language="python")
    assert base64.b64decode(response.result).startswith(PNG_SIGNATURE)


def test_agent_browser_refs_carry_from_one_call_to_the_next(app, session):
    scrape_id = session("/tabs")
    snapshot = app.interact(scrape_id, code="agent-browser snapshot -i", language="bash").stdout
    ref = re.search(r'- button "Second tab" \[ref=(e\d+)\]', snapshot)
    assert ref, snapshot
    app.interact(scrape_id, code=f"agent-browser click @{ref.group(1)}", language="bash")
    visible = app.interact(scrape_id, code='await page.locator("#two").is_visible()', language="python")
    assert visible.result == "true"


def test_a_prompt_answers_with_output(app, session):
    scrape_id = session("/article")
    response = app.interact(scrape_id, prompt="What is this page's title?")
    assert response.success
    assert response.output == "The title is Skiff Test Article."


def test_the_guides_profile_login_saved_by_stop_interaction(app, site):
    before = app.scrape(f"{site}/dashboard", formats=["markdown"], profile={"name": "guide", "save_changes": False})
    assert "Please log in" in before.markdown
    login = app.scrape(f"{site}/login", formats=["markdown"], profile={"name": "guide", "save_changes": True})
    scrape_id = login.metadata.scrape_id
    code = """await page.fill("#user", "ada")
async with page.expect_navigation():
    await page.click("#submit")
await page.locator("h1").inner_text()"""
    logged_in = app.interact(scrape_id, code=code, language="python")
    assert logged_in.result == "Welcome back, ada", logged_in.stderr
    stopped = app.stop_interaction(scrape_id)
    assert stopped.success is True
    assert isinstance(stopped.session_duration_ms, int) and stopped.session_duration_ms > 0
    assert isinstance(stopped.credits_billed, int) and stopped.credits_billed >= 1
    after = app.scrape(f"{site}/dashboard", formats=["markdown"], profile={"name": "guide", "save_changes": False})
    assert "Welcome back, ada" in after.markdown
