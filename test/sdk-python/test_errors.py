"""Each refusal raised as the SDK's own exception class, carrying the server's message."""

import pytest
from firecrawl.v2.utils.error_handler import (
    FirecrawlError,
    PaymentRequiredError,
    RateLimitError,
    WebsiteNotSupportedError,
)

UNKNOWN_SCRAPE = "01900000-0000-7000-8000-000000000000"
PROFILE_LOCKED = (
    "Another session is currently writing to this profile. Only one writer is allowed at a time. "
    "You can still access it with saveChanges: false, or try again later."
)
TWO_SESSIONS = (
    "You have reached the maximum number of concurrent jobs (2). Please wait for existing jobs "
    "to complete or destroy browser sessions before creating new ones."
)


def refusal(raised, exception_class, status):
    """The server's `error`, once the exception is exactly that class, with that status, carrying it."""
    error = raised.value
    assert type(error) is exception_class, repr(error)
    assert error.status_code == status
    message = error.response.json()["error"]
    assert message in str(error)
    return message


def test_410_after_stop_interaction(app, session):
    scrape_id = session("/article")
    app.interact(scrape_id, code="await page.title()", language="python")
    app.stop_interaction(scrape_id)
    with pytest.raises(FirecrawlError) as gone:
        app.interact(scrape_id, code="await page.title()", language="python")
    assert refusal(gone, FirecrawlError, 410) == "Browser session has been destroyed."


def test_403_for_another_teams_scrape_and_404_for_an_unknown_one(app, other_app, session):
    scrape_id = session("/article")
    with pytest.raises(WebsiteNotSupportedError) as forbidden:
        other_app.interact(scrape_id, code="await page.title()", language="python")
    assert refusal(forbidden, WebsiteNotSupportedError, 403) == "Forbidden."
    with pytest.raises(FirecrawlError) as missing:
        app.interact(UNKNOWN_SCRAPE, code="1", language="python")
    assert refusal(missing, FirecrawlError, 404) == "Job not found."


def test_402_when_the_credits_cannot_cover_a_session(poor_app, site):
    doc = poor_app.scrape(f"{site}/article", formats=["markdown"])
    with pytest.raises(PaymentRequiredError) as short:
        poor_app.interact(doc.metadata.scrape_id, code="await page.title()", language="python")
    message = refusal(short, PaymentRequiredError, 402)
    assert message.startswith("Insufficient credits for a "), message


def test_409_for_a_second_profile_writer_then_429_past_the_team_limit(app, session):
    writer = session("/article", profile={"name": "shared", "save_changes": True})
    app.interact(writer, code="await page.title()", language="python")
    second = session("/article", profile={"name": "shared", "save_changes": True})
    with pytest.raises(FirecrawlError) as locked:
        app.interact(second, code="await page.title()", language="python")
    assert refusal(locked, FirecrawlError, 409) == PROFILE_LOCKED
    another = session("/tabs")
    app.interact(another, code="await page.title()", language="python")
    third = session("/form")
    with pytest.raises(RateLimitError) as limited:
        app.interact(third, code="await page.title()", language="python")
    assert refusal(limited, RateLimitError, 429) == TWO_SESSIONS
