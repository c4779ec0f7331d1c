"""The Reports screen in a real browser: a supervisor reads a chart, opens the tickets behind a
bar, and downloads the view and the tickets as CSV — in Spanish and in Vietnamese, at desktop
width and on a 360 px phone. What a customer wrote stays text there too."""

from selenium.webdriver.common.by import By

from conftest import SHOTS

HOSTILE_COMMENT = '<img src=x onerror="window.__pwned=9">Muy bien'


def fetch_text(browser, href):
    """What a download link answers, fetched by the page with its own session cookie."""
    return browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])))"
        ".catch(e => done([0, '', String(e)]));", href)


def open_tickets(server, tenant, admin, customer_ids, tickets):
    for customer_id in customer_ids:
        status, body, _ = server.api("POST", "/api/v2/customers", admin, {"id": customer_id, "firstName": customer_id, "email": f"{customer_id}@{tenant}.test"})
        assert status == 201, body
    made = []
    for customer_id, subject, source in tickets:
        token = server.token(tenant, "customer", customer_id)
        status, body, _ = server.api("POST", "/api/v2/tickets", token, {"subject": subject, "description": "Sin servicio", "source": source})
        assert status == 201, body
        made.append((token, body["ticket"]["ticketId"]))
    return made


def test_a_supervisor_reads_a_chart_drills_down_to_its_tickets_and_exports_csv_in_spanish(server, browsers):
    server.cli("tenant", "create", "--id", "informes", "--pack", "luxfree-solar")
    server.user("informes", "jefa@informes.mx", "Jefa Díaz", role="admin", agent_id="jefa")
    admin = server.token("informes", "admin", "jefa")
    made = open_tickets(server, "informes", admin, ["c1", "c2", "c3"], [
        ("c1", "Poste caído en la esquina", "whatsapp"),
        ("c2", "Luminaria apagada", "whatsapp"),
        ("c3", "Factura duplicada", "web"),
    ])
    # One is resolved and rated, with a comment that tries to be HTML.
    token, resolved = made[0]
    assert server.api("POST", f"/api/v2/tickets/{resolved}/claim", admin)[0] == 200
    status, body, _ = server.api("POST", f"/api/v2/tickets/{resolved}/resolve", admin, {"resolutionNotes": "Se cambió el poste"})
    assert status == 200, body
    status, body, _ = server.api("POST", f"/api/v2/tickets/{resolved}/feedback", token, {"rating": 4, "comment": HOSTILE_COMMENT})
    assert status == 200, body

    jefa = browsers()
    jefa.sign_in("informes", "jefa@informes.mx")
    jefa.click('.tabs a[href="#/reports"]')
    jefa.find(".reports .report-chart svg")
    assert "Informes" in jefa.text(".tabs")
    assert "Creados" in jefa.text(".stats")
    jefa.until(lambda: jefa.text(".stats").split("\n")[1] == "3", "3 created in the cards")

    # By channel: the WhatsApp bar of today holds two tickets; a click opens them.
    jefa.open("/#/reports/volume?period=7&interval=day&by=channel")
    bar = jefa.find('.report-chart rect.mark[aria-label*="WhatsApp: 2"]')
    jefa.shot("reports-01-volume-es")
    bar.click()
    jefa.until(lambda: len(jefa.driver.find_elements(By.CSS_SELECTOR, ".drill-list li")) == 2, "the two WhatsApp tickets")
    listed = jefa.text(".drill-list")
    assert made[0][1] in listed and made[1][1] in listed and made[2][1] not in listed
    assert "WhatsApp" in jefa.text(".drill h3")
    jefa.shot("reports-02-drill-down-es")

    # The tickets behind the bar as CSV: one row each, with their times.
    href = jefa.find(".drill-head a.button").get_attribute("href")
    status, kind, text = fetch_text(jefa, href)
    assert status == 200 and kind.startswith("text/csv"), (status, kind, text)
    rows = text.strip().split("\r\n")
    assert rows[0].startswith("ticketId,subject,status,priority,category,channel")
    assert sorted(row.split(",")[0] for row in rows[1:]) == sorted([made[0][1], made[1][1]])

    # The view as CSV: a row per bucket and channel, then the totals.
    href = jefa.find(".report-actions a.button").get_attribute("href")
    status, kind, text = fetch_text(jefa, href)
    assert status == 200 and kind.startswith("text/csv")
    lines = text.strip().split("\r\n")
    assert lines[0] == "start,channel,created,resolved"
    assert "total,whatsapp,2,1" in lines and "total,web,1,0" in lines and "total,,3,1" in lines

    # The table view says the same for a keyboard, and its cells open the tickets too.
    jefa.click(".report-chart .table-toggle")
    table = jefa.find(".report-chart .chart-table")
    assert table.is_displayed()
    assert "WhatsApp" in table.text
    jefa.click('.chart-table button[aria-label*="Web / chat: 1"]')
    jefa.until(lambda: len(jefa.driver.find_elements(By.CSS_SELECTOR, ".drill-list li")) == 1, "the web ticket")
    assert made[2][1] in jefa.text(".drill-list")

    # Satisfaction: the rating and its comment, as text.
    jefa.open("/#/reports/satisfaction?period=7&interval=day")
    jefa.find('.report-chart rect.mark[aria-label*=": 1"]').click()
    comment = jefa.find(".drill-list .comment")
    assert comment.text == HOSTILE_COMMENT
    assert jefa.driver.execute_script("return window.__pwned") is None
    assert not jefa.driver.find_elements(By.CSS_SELECTOR, ".drill-list img")
    jefa.shot("reports-03-satisfaction-es")

    # Times and backlog draw; people lists the team with presence.
    jefa.open("/#/reports/backlog?period=7&interval=day")
    jefa.until(lambda: "2" in jefa.text(".stats"), "two open now")
    jefa.open("/#/reports/agents?period=7")
    jefa.until(lambda: "Jefa Díaz" in jefa.text(".agents-table"), "the team")
    jefa.open("/#/reports/times?period=30&interval=week&compare=1")
    jefa.find(".report-chart svg")
    assert jefa.errors() == []

    # On a phone: the filters fold, the chart scrolls sideways, the table still opens the tickets.
    phone = browsers(width=360, height=780)
    phone.sign_in("informes", "jefa@informes.mx")
    phone.open("/#/reports/volume?period=7&interval=day&by=channel")
    phone.find(".report-chart svg")
    assert not phone.find(".report-filters").is_displayed()
    assert phone.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.shot("reports-04-volume-es-360")
    phone.click(".report-chart .table-toggle")
    phone.click('.chart-table button[aria-label*="WhatsApp: 2"]')
    phone.until(lambda: len(phone.driver.find_elements(By.CSS_SELECTOR, ".drill-list li")) == 2, "the two WhatsApp tickets")
    phone.shot("reports-05-drill-down-es-360")
    assert phone.errors() == []


def test_a_vietnamese_supervisor_reads_the_reports_on_desktop_and_phone(server, browsers):
    server.cli("tenant", "create", "--id", "baocao", "--pack", "ecommerce-vi")
    server.user("baocao", "lan@baocao.vn", "Nguyễn Lan", role="admin", agent_id="lan")
    admin = server.token("baocao", "admin", "lan")
    made = open_tickets(server, "baocao", admin, ["k1", "k2"], [("k1", "Chưa nhận được hàng", "web"), ("k2", "Sai kích cỡ", "mobile_app")])
    for desk in (dict(), dict(width=360, height=780)):
        lan = browsers(**desk)
        lan.sign_in("baocao", "lan@baocao.vn")
        lan.open("/#/reports/volume?period=7&interval=day")
        lan.find(".report-chart svg")
        assert "Báo cáo" in lan.text(".reports h2")
        assert "Số lượng" in lan.text(".reports .subtabs")
        assert "Đã tạo" in lan.text(".stats")
        lan.until(lambda: lan.text(".stats").split("\n")[1] == "2", "2 created")
        lan.find('.report-chart rect.mark[aria-label*=": 2"]').click()
        lan.until(lambda: len(lan.driver.find_elements(By.CSS_SELECTOR, ".drill-list li")) == 2, "both tickets")
        assert "Tải các" in lan.text(".drill-head")
        lan.shot("reports-06-volume-vi" + ("-360" if desk else ""))
        assert lan.errors() == []
