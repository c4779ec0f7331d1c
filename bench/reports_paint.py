"""The Reports screen's first paint in headless Chromium, signed in: from the page's navigation
start to the first chart drawn, for the volume of the last 12 months by channel (see
bench/reports.sh). Prints each run and the median."""
import statistics
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, email, password, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60, poll_frequency=0.01)
try:
    driver.get(base + "/")
    wait.until(EC.presence_of_element_located((By.ID, "login-email")))
    tenant = driver.find_element(By.ID, "login-tenant")
    tenant.clear()
    tenant.send_keys("default")
    driver.find_element(By.ID, "login-email").send_keys(email)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".pill.live")))
    paints = []
    for run in range(runs):
        # A fresh page load each time (the session cookie signs it in): the chart is drawn once
        # the console, the session, the tenant's words and the report have all come.
        driver.get("about:blank")
        driver.get(base + "/#/reports/volume?period=365&interval=month&by=channel")
        # The page notes when the first chart appears (a MutationObserver set as soon as it can be).
        driver.execute_script("""
          window.__painted = document.querySelector('.report-chart svg') ? performance.now() : null;
          if (!window.__painted) new MutationObserver((_, observer) => {
            if (document.querySelector('.report-chart svg')) { window.__painted = performance.now(); observer.disconnect(); }
          }).observe(document.body, { childList: true, subtree: true });""")
        wait.until(lambda d: d.execute_script("return window.__painted"))
        painted = driver.execute_script("return window.__painted")
        paints.append(painted)
        print(f"run {run + 1}: first chart at {painted:.0f} ms after navigation start")
    print(f"first paint of the reports (volume, 12 months by channel): median {statistics.median(paints):.0f} ms, max {max(paints):.0f} ms")
finally:
    driver.quit()
