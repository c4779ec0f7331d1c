"""Writes the mail corpus the MIME tests read, with Python's own `email` package (an independent
producer): python3 make_corpus.py. Each file is a kind of mail a helpdesk receives; the tests
say what Docket must make of it. Huge and hostile mails are made by the tests themselves."""
import base64, unicodedata, email.utils
from email.mime.text import MIMEText
from email.mime.multipart import MIMEMultipart
from email.mime.message import MIMEMessage
from email.mime.image import MIMEImage
from email.mime.application import MIMEApplication
from email.header import Header

def save(name, msg):
    open(name, 'wb').write(msg.as_bytes())

def cp1258(text):
    """Windows-1258 writes most Vietnamese letters as a base letter and a combining tone mark."""
    out = b''
    for c in unicodedata.normalize('NFC', text):
        try:
            out += c.encode('cp1258'); continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize('NFD', c)
        tones = ''.join(m for m in d[1:] if m in '\u0300\u0301\u0303\u0309\u0323')
        base = d[0] + ''.join(m for m in d[1:] if m not in tones)
        out += unicodedata.normalize('NFC', base).encode('cp1258') + tones.encode('cp1258')
    return out

SPANISH = "Buenos días:\n\nLa luz se cortó en la colonia Niños Héroes desde ayer.\n¿Cuándo vuelve?\n\nJosé Núñez\n"
VIETNAMESE = "Chào anh chị,\n\nĐơn hàng của tôi chưa được giao. Xin kiểm tra giúp.\n\nTrần Thị Huệ\n"

# Spanish in ISO-8859-1, quoted-printable; subject and name as RFC 2047 words (Thunderbird).
m = MIMEText(SPANISH, 'plain', 'iso-8859-1')
m['Subject'] = Header('Corte de energía en Niños Héroes', 'iso-8859-1')
m['From'] = email.utils.formataddr((str(Header('José Núñez', 'iso-8859-1')), 'jose.nunez@Example.MX'))
m['To'] = 'soporte@luxfree.example'
m['Message-ID'] = '<CAF1234.abc@mail.example.mx>'
m['Date'] = 'Mon, 07 Dec 2026 09:15:00 -0600'
save('spanish-latin1-qp.eml', m)

# Vietnamese in Windows-1258, base64, answering an earlier mail (Outlook's headers).
m = MIMEText('', 'plain')
m.set_payload(base64.encodebytes(cp1258(VIETNAMESE)).decode())
m.replace_header('Content-Type', 'text/plain; charset="windows-1258"')
m.replace_header('Content-Transfer-Encoding', 'base64')
m['Subject'] = Header('RE: Đơn hàng #1042', 'utf-8')
m['From'] = email.utils.formataddr((str(Header('Trần Thị Huệ', 'utf-8')), 'hue.tran@example.vn'))
m['To'] = email.utils.formataddr((str(Header('Hỗ trợ', 'utf-8')), 'hotro@shop.example.vn'))
m['Message-ID'] = '<SG2PR01MB1234.apcprd01.prod.outlook.com>'
m['In-Reply-To'] = '<docket.t-abc123.1@shop.example.vn>'
m['References'] = '<first@example.vn> <docket.t-abc123.1@shop.example.vn>'
m['Thread-Topic'] = 'Đơn hàng #1042'
save('vietnamese-cp1258-base64.eml', m)

# Gmail: plain and HTML alternatives, UTF-8.
m = MIMEMultipart('alternative')
m.attach(MIMEText(VIETNAMESE, 'plain', 'utf-8'))
m.attach(MIMEText('<div dir="ltr">Chào anh chị,<br><br><b>Đơn hàng</b> của tôi chưa được giao.</div>', 'html', 'utf-8'))
m['Subject'] = 'Đơn hàng chưa giao'
m['From'] = 'Huệ <hue.tran@gmail.example>'
m['To'] = 'hotro@shop.example.vn'
m['Message-ID'] = '<CAGmail+xyz@mail.gmail.com>'
save('gmail-alternative-utf8.eml', m)

# HTML only (a web form or a phone app), with a script, a style, a link, a list, entities.
html = ('<html><head><title>x</title><style>p{color:red}</style><script>alert("hola")</script></head>'
        '<body><p>Hola &amp; buenas,</p><p>El medidor marca &#8220;E-7&#8221;&nbsp;desde el lunes.</p>'
        '<ul><li>Cuenta 4411</li><li>Colonia Centro</li></ul>'
        '<p>Foto: <a href="https://fotos.example/m.jpg">aquí</a> <img src="cid:x" alt="medidor"></p>'
        '<!-- <p>oculto</p> --><p>&lt;script&gt;no es código&lt;/script&gt;</p></body></html>')
m = MIMEText(html, 'html', 'utf-8')
m['Subject'] = 'Medidor con error'
m['From'] = 'formulario@luxfree.example'
m['Reply-To'] = email.utils.formataddr((str(Header('Ana Pérez', 'utf-8')), 'ana.perez@example.mx'))
m['To'] = 'soporte@luxfree.example'
m['Message-ID'] = '<form-77@luxfree.example>'
save('html-only-form.eml', m)

# Apple Mail: text, an inline image and a PDF attachment.
m = MIMEMultipart('mixed')
related = MIMEMultipart('related')
related.attach(MIMEText('Adjunto la factura y una foto del medidor.\n', 'plain', 'utf-8'))
image = MIMEImage(b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 4, 'png')
image.add_header('Content-ID', '<foto1@apple.example>')
image.add_header('Content-Disposition', 'inline', filename='medidor.png')
related.attach(image)
m.attach(related)
pdf = MIMEApplication(b'%PDF-1.4\n' + b'0' * 3000, 'pdf')
pdf.add_header('Content-Disposition', 'attachment', filename=('utf-8', '', 'factura de energía.pdf'))
m.attach(pdf)
m['Subject'] = 'Factura'
m['From'] = 'ana.perez@example.mx'
m['To'] = 'soporte@luxfree.example'
m['Message-ID'] = '<A1B2C3@icloud.example>'
save('apple-inline-and-attachment.eml', m)

# A forwarded mail (message/rfc822) with the forwarder's note.
inner = MIMEText('El pago no se reflejó.\n', 'plain', 'utf-8')
inner['Subject'] = 'Pago'
inner['From'] = 'cliente@example.mx'
inner['Message-ID'] = '<inner-1@example.mx>'
m = MIMEMultipart('mixed')
m.attach(MIMEText('Te reenvío lo que me escribió el cliente.\n', 'plain', 'utf-8'))
m.attach(MIMEMessage(inner))
m['Subject'] = 'Fwd: Pago'
m['From'] = 'gerente@luxfree.example'
m['To'] = 'soporte@luxfree.example'
m['Message-ID'] = '<fwd-1@luxfree.example>'
save('forwarded.eml', m)

# An out-of-office reply (Exchange): automatic.
m = MIMEText('Estoy fuera de la oficina hasta el lunes.\n', 'plain', 'utf-8')
m['Subject'] = 'Respuesta automática: Corte de energía'
m['From'] = 'jose.nunez@example.mx'
m['To'] = 'soporte@luxfree.example'
m['Auto-Submitted'] = 'auto-replied'
m['X-Auto-Response-Suppress'] = 'All'
m['Message-ID'] = '<ooo-1@example.mx>'
save('out-of-office.eml', m)

# A bounce (a delivery status notification) from the mailer daemon.
m = MIMEMultipart('report', report_type='delivery-status')
m.attach(MIMEText('Your message could not be delivered to nadie@example.mx.\n', 'plain', 'us-ascii'))
from email.message import Message
status = Message()
status.set_type('message/delivery-status')
per_message, per_recipient = Message(), Message()
per_message['Reporting-MTA'] = 'dns; mx.example.mx'
per_recipient['Final-Recipient'] = 'rfc822; nadie@example.mx'
per_recipient['Action'] = 'failed'
per_recipient['Status'] = '5.1.1'
status.set_payload([per_message, per_recipient])
m.attach(status)
m['Subject'] = 'Undelivered Mail Returned to Sender'
m['From'] = 'MAILER-DAEMON@mx.example.mx (Mail Delivery System)'
m['To'] = 'soporte@luxfree.example'
m['Message-ID'] = '<bounce-1@mx.example.mx>'
save('bounce.eml', m)
