"""Log in with an email, log out, and failed logins are throttled."""

from django.test import override_settings

from tests.factories import TEST_PASSWORD


def test_log_in_with_email_and_land_in_development(client, tenant):
    user = tenant.editor.user
    response = client.post(
        "/accounts/login/", {"username": user.email, "password": TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == tenant.url(tenant.development)
    assert response.context["user"] == user


def test_log_out_is_a_post(client, login, tenant):
    login(tenant.viewer.user)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get(tenant.url(tenant.development)).status_code == 302


def test_a_wrong_password_says_so(client, tenant):
    response = client.post(
        "/accounts/login/", {"username": tenant.admin.user.email, "password": "wrong"}
    )
    assert "Please enter a correct email and password" in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_login_even_with_the_right_password(client, tenant):
    email = tenant.admin.user.email
    for _ in range(3):
        client.post("/accounts/login/", {"username": email, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": email, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session

    # Another account from the same address is not locked out.
    other = tenant.viewer.user
    response = client.post("/accounts/login/", {"username": other.email, "password": TEST_PASSWORD})
    assert response.status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3, BEHIND_PROXY=True)
def test_behind_a_proxy_failures_lock_only_the_client_that_made_them(client, tenant):
    """Every request reaches Herald from the proxy's address; the lockout must not spread from
    the client that guessed to the account's owner elsewhere."""
    email = tenant.admin.user.email
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    guesser = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for _ in range(3):
        client.post("/accounts/login/", {"username": email, "password": "wrong"}, **guesser)
    locked = client.post("/accounts/login/", {"username": email, "password": "x"}, **guesser)
    assert locked.status_code == 429

    owner = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.20"}
    response = client.post(
        "/accounts/login/", {"username": email, "password": TEST_PASSWORD}, **owner
    )
    assert response.status_code == 302


def test_the_email_is_not_case_sensitive(client, tenant):
    user = tenant.editor.user
    response = client.post(
        "/accounts/login/", {"username": f"  {user.email.upper()} ", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
