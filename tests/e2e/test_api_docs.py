"""The API docs page loads Swagger UI from Herald's own static files and passes the CSP."""


def test_the_docs_page_renders_the_operations_without_errors(page, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/v1/docs")
    page.get_by_text("Herald API").first.wait_for()
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock-summary-path", has_text="/v1/environments/me").count() == 1
    # Nothing comes from another origin (no CDN).
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert any("/static/ninja/swagger-ui-bundle" in url for url in requested)
