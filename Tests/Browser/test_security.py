"""The console's defences in a real browser: a page of another origin cannot act with an
agent's session (CSRF), and repeated wrong passwords are throttled on the sign-in page."""

import functools
import http.server
import threading

import pytest

from conftest import PASSWORD


@pytest.fixture(scope="module")
def secure(server):
    """A workspace of its own (its throttle and tickets touch no other test's)."""
    server.cli("tenant", "create", "--id", "secureco", "--pack", "luxfree-solar")
    server.user("secureco", "vera@secure.co", "Vera Soto", agent_id="vera")
    server.user("secureco", "omar@secure.co", "Omar Paz", agent_id="omar")
    return {"admin": server.token("secureco", "admin", "boss")}


def serve_folder(folder):
    """A plain web server for `folder` on 127.0.0.1 and a port of the kernel's: the same site as
    Docket (so its SameSite=Strict cookie goes along) but another origin."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    return site


def test_a_page_of_another_origin_cannot_act_with_the_agents_session(server, browsers, secure, tmp_path):
    customer = server.token("secureco", "customer", "cliente-csrf")
    status, body, _ = server.api("POST", "/api/v2/tickets", customer, {"subject": "Luminaria fundida", "description": "No enciende"})
    assert status == 201, body
    ticket = body["ticket"]["ticketId"]
    claim = f"{server.base}/api/v2/tickets/{ticket}/claim"
    note = f"{server.base}/api/v2/tickets/{ticket}/notes"
    # A fetch with the session (a simple request: no preflight) and then a form that posts itself.
    (tmp_path / "attack.html").write_text(
        "<!doctype html><html><body><h1>Promoción</h1>"
        f'<form id="f" method="POST" action="{claim}" enctype="text/plain"><input name=\'{{"x":"\' value=\'"}}\'></form>'
        "<script>"
        f"fetch('{note}', {{method: 'POST', credentials: 'include', mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}},"
        " body: JSON.stringify({content: 'hackeado', isInternal: false})})"
        ".finally(() => { document.title = 'sent'; document.getElementById('f').submit(); });"
        "</script></body></html>")
    site = serve_folder(tmp_path)
    try:
        vera = browsers()
        vera.sign_in("secureco", "vera@secure.co")
        vera.driver.get(f"http://127.0.0.1:{site.server_address[1]}/attack.html")
        # The form's answer replaces the page: Docket's refusal, in its own JSON.
        vera.until(lambda: vera.driver.current_url.startswith(server.base), "the form was posted to Docket")
        vera.until(lambda: "forbidden" in vera.text(), "Docket refused the cross-origin post")
        status, body, _ = server.api("GET", f"/api/v2/tickets/{ticket}", secure["admin"])
        assert status == 200
        assert body["ticket"].get("assignedAgent") is None, "the claim went through"
        assert not [n for n in body["ticket"].get("notes", []) if n.get("content") == "hackeado"], "the note went through"
        # The agent's own console still works with the same session.
        vera.open("/")
        vera.find(".pill.live")
    finally:
        site.shutdown()


def test_repeated_wrong_passwords_are_throttled_on_the_sign_in_page(server, browsers, secure):
    omar = browsers()
    omar.open("/")
    omar.find("#login-email")

    def attempt(password):
        tenant = omar.driver.find_element("id", "login-tenant")
        tenant.clear()
        tenant.send_keys("secureco")
        email = omar.driver.find_element("id", "login-email")
        email.clear()
        email.send_keys("omar@secure.co")
        field = omar.driver.find_element("id", "login-password")
        field.clear()
        field.send_keys(password)
        omar.click("form.login button[type=submit]")

    # Three wrong passwords in a row lock the account for a moment; the next attempt is told to wait.
    for tries in range(1, 4):
        attempt("not the password")
        omar.until(lambda: omar.find(".form-error").is_displayed() and omar.find(".form-error").text, f"failure {tries} is said")
    attempt("not the password")
    omar.until(lambda: any(word in omar.find(".form-error").text for word in ("Too many", "Demasiados", "Quá nhiều")),
               "the page says to wait")
    # With the right password, once the lock has passed (it doubles from 1 s), the console opens.
    def signed_in():
        if omar.driver.find_elements("css selector", ".pill.live"):
            return True
        if omar.driver.find_elements("id", "login-password"):
            attempt(PASSWORD)
        return bool(omar.driver.find_elements("css selector", ".pill.live"))
    omar.until(signed_in, "signed in after the lock")
