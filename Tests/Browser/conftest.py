"""Fixtures for the console's browser tests: a real `docket serve` on a temporary data
directory, people made with the real CLI, and headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium."""

import base64
import hashlib
import hmac
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKET = pathlib.Path(os.environ.get("DOCKET_BIN", ROOT / ".build" / "debug" / "docket"))
SHOTS = pathlib.Path(os.environ.get("DOCKET_SCREENSHOTS", ROOT / ".build" / "screenshots"))
PASSWORD = "correct horse battery"
WAIT = float(os.environ.get("DOCKET_BROWSER_WAIT", "20"))


class Server:
    def __init__(self):
        self.data = pathlib.Path(tempfile.mkdtemp(prefix="docket-browser-"))
        # On a port the kernel chooses; the server writes it to its port file once it listens.
        port_file = self.data / "port"
        self.log = open(self.data / "server.log", "w")
        self.process = subprocess.Popen(
            [str(DOCKET), "serve", "--data-dir", str(self.data), "--port", "0", "--port-file", str(port_file), "--bcrypt-cost", "4",
             "--packs-dir", str(ROOT / "IndustryPacks"), "--console-dir", str(ROOT / "Console"),
             # The webhook screen's test posts to a receiver on this machine.
             "--webhooks-allow-private-addresses", "true",
             # The mail settings' test delivers a mail that cannot be read (LMTP, port chosen by the kernel).
             "--mail-port", "0", "--mail-port-file", str(self.data / "mail.port")],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.time() + 60
        while time.time() < deadline and self.process.poll() is None:
            try:
                self.port = int(port_file.read_text())
                self.base = f"http://127.0.0.1:{self.port}"
                with urllib.request.urlopen(self.base + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                time.sleep(0.05)
        raise RuntimeError("docket serve did not start: " + (self.data / "server.log").read_text())

    @property
    def mail_port(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                return int((self.data / "mail.port").read_text())
            except (OSError, ValueError):
                time.sleep(0.05)
        raise RuntimeError("the mail receiver did not write its port")

    def cli(self, *args, stdin=None):
        result = subprocess.run([str(DOCKET), *args, "--data-dir", str(self.data)], input=stdin, capture_output=True, text=True,
                                cwd=ROOT, timeout=120)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout.strip()

    def user(self, tenant, email, name, role="agent", agent_id=None):
        args = ["user", "create", "--tenant", tenant, "--email", email, "--name", name, "--role", role, "--bcrypt-cost", "4"]
        if agent_id:
            args += ["--agent-id", agent_id]
        return self.cli(*args, stdin=PASSWORD + "\n")

    def token(self, tenant, role, subject):
        return self.cli("token", "--tenant", tenant, "--role", role, "--subject", subject)

    def api(self, method, path, token=None, body=None, headers=None):
        request = urllib.request.Request(self.base + path, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, data=data, timeout=10) as answer:
                text = answer.read().decode()
                is_json = "json" in (answer.headers.get("Content-Type") or "")
                return answer.status, (json.loads(text) if text and is_json else text), answer.headers
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, (json.loads(text) if text else None), error.headers

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Proxy:
    """A TCP relay between a browser and the server that the test can cut, like a lost network:
    `cut()` drops every open connection and refuses new ones until `restore()`."""

    def __init__(self, target_port):
        import threading
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.down = False
        self.open = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        import threading
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.down = True
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.open = []

    def restore(self):
        self.down = False

    def close(self):
        self.cut()
        self.listener.close()


def widget_token(secret, customer_id, name=None, lifetime=300):
    """What a tenant's server does: an HS256 JWT signed with the widget secret."""
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": customer_id, "exp": int(time.time()) + lifetime}
    if name:
        claims["name"] = name
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


@pytest.fixture(scope="session")
def server():
    srv = Server()
    yield srv
    srv.stop()


class Browser:
    """One person's browser: its own profile (cookies), a window size, and helpers."""

    def __init__(self, server, width=1280, height=860, base=None):
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}",
                     "--lang=en-US"):
            options.add_argument(flag)
        if width < 500:
            # Chromium's windows are at least 500 px wide: narrower screens are emulated.
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}})
        options.binary_location = "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.server = server
        self.base = base or server.base
        # Pages re-render as events arrive: an element read mid-render is simply read again.
        self.wait = WebDriverWait(self.driver, WAIT, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException])

    def open(self, path):
        self.driver.get(self.base + path)

    def sign_in(self, tenant, email, password=PASSWORD):
        self.open("/")
        self.wait.until(EC.presence_of_element_located((By.ID, "login-email")))
        tenant_input = self.driver.find_element(By.ID, "login-tenant")
        tenant_input.clear()
        tenant_input.send_keys(tenant)
        self.driver.find_element(By.ID, "login-email").send_keys(email)
        self.driver.find_element(By.ID, "login-password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".pill.live")))

    def find(self, css):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def click(self, css):
        """Clicks the element, again if the page re-rendered it in between."""
        def attempt():
            try:
                self.driver.find_element(By.CSS_SELECTOR, css).click()
                return True
            except Exception:
                return False
        self.until(attempt, f"click {css}")

    def until(self, predicate, message=""):
        return self.wait.until(lambda _: predicate(), message)

    def text(self, css="body"):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def shot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))

    def errors(self):
        """Console messages at error level (a CSP violation is one too)."""
        return [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def quit(self):
        self.driver.quit()


@pytest.fixture
def browsers(server):
    made = []

    def make(**kwargs):
        browser = Browser(server, **kwargs)
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.quit()
