import DocketCore
import DocketMail
import Foundation
import Testing

/// Threading as real mail programs write it, in one suite, on every store: each conversation is
/// a list of raw mails (headers folded, words encoded, ids in each program's own shape) read by
/// the real parser and received in order; each mail is labelled with the ticket it must end in.
/// A label's first mail opens its ticket; every later mail with that label joins it; two labels
/// never share a ticket.
@Suite("Threading corpus, on every store")
struct ThreadingCorpusTests {
    enum Step: Sendable {
        /// A mail that must end in `ticket`; `toTag` sends it to the tagged address of that
        /// label's ticket instead of the plain one.
        case mail(ticket: String, raw: String, toTag: String? = nil)
        /// An agent resolves the label's ticket.
        case resolve(String)
    }

    struct Conversation: Sendable, CustomTestStringConvertible {
        var name: String
        var steps: [Step]
        var testDescription: String { name }
    }

    static let conversations: [Conversation] = [
        Conversation(name: "Gmail: an answer to one's own mail, References folded over lines", steps: [
            .mail(ticket: "A", raw: """
                MIME-Version: 1.0
                Date: Mon, 7 Dec 2026 09:12:03 -0600
                Message-ID: <CAH+w=7a1XkQ9p_2Lm@mail.gmail.com>
                Subject: =?UTF-8?Q?Corte_de_energ=C3=ADa?=
                From: =?UTF-8?Q?Ana_P=C3=A9rez?= <ana.perez@gmail.com>
                To: soporte@luxfree.example
                Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

                --000000000000a1b2c3
                Content-Type: text/plain; charset="UTF-8"

                Sigue sin luz.
                --000000000000a1b2c3
                Content-Type: text/html; charset="UTF-8"

                <div dir="ltr">Sigue sin luz.</div>
                --000000000000a1b2c3--
                """),
            .mail(ticket: "A", raw: """
                MIME-Version: 1.0
                References: <CAH+w=7a1XkQ9p_2Lm@mail.gmail.com>
                 <CAH+w=7b2YlR0q_3Mn@mail.gmail.com>
                In-Reply-To: <CAH+w=7a1XkQ9p_2Lm@mail.gmail.com>
                Date: Mon, 7 Dec 2026 10:01:44 -0600
                Message-ID: <CAH+w=7c3ZmS1r_4No@mail.gmail.com>
                Subject: =?UTF-8?Q?Re=3A_Corte_de_energ=C3=ADa?=
                From: =?UTF-8?Q?Ana_P=C3=A9rez?= <ana.perez@gmail.com>
                To: soporte@luxfree.example
                Content-Type: text/plain; charset="UTF-8"

                Ya son tres horas.

                El lun, 7 dic 2026 a las 9:12, Ana Pérez (<ana.perez@gmail.com>) escribió:
                > Sigue sin luz.
                """),
        ]),
        Conversation(name: "Outlook: RE: without In-Reply-To, only References, to a resolved ticket", steps: [
            .mail(ticket: "L", raw: """
                From: Luis Ortega <luis.ortega@outlook.com>
                To: "soporte@luxfree.example" <soporte@luxfree.example>
                Subject: Medidor dañado
                Thread-Topic: Medidor dañado
                Thread-Index: AQHbSx3yXo7cD2Vt0kW2Z3f1xQ==
                Date: Mon, 7 Dec 2026 15:20:11 +0000
                Message-ID: <DM6PR11MB4107A1B2C3D4E5F6@DM6PR11MB4107.namprd11.prod.outlook.com>
                Content-Language: es-MX
                Content-Type: text/plain; charset="iso-8859-1"
                Content-Transfer-Encoding: quoted-printable
                MIME-Version: 1.0

                El medidor est=E1 da=F1ado.
                """),
            .resolve("L"),
            .mail(ticket: "F", raw: """
                From: Luis Ortega <luis.ortega@outlook.com>
                To: "soporte@luxfree.example" <soporte@luxfree.example>
                Subject: Factura doble
                Thread-Topic: Factura doble
                Thread-Index: AQHbSx4AbC9dE8Fg1hI3J4k5Lw==
                Date: Tue, 8 Dec 2026 08:00:00 +0000
                Message-ID: <DM6PR11MB4107B7C8D9E0F1A2@DM6PR11MB4107.namprd11.prod.outlook.com>
                Content-Type: text/plain; charset="iso-8859-1"
                MIME-Version: 1.0

                Me cobraron dos veces.
                """),
            .mail(ticket: "L", raw: """
                From: Luis Ortega <luis.ortega@outlook.com>
                To: "soporte@luxfree.example" <soporte@luxfree.example>
                Subject: RE: Medidor dañado
                Thread-Topic: Medidor dañado
                Thread-Index: AQHbSx3yXo7cD2Vt0kW2Z3f1xQAAAbCd
                Date: Tue, 8 Dec 2026 09:30:00 +0000
                Message-ID: <DM6PR11MB4107C3D4E5F6A7B8@DM6PR11MB4107.namprd11.prod.outlook.com>
                References: <DM6PR11MB4107A1B2C3D4E5F6@DM6PR11MB4107.namprd11.prod.outlook.com>
                Content-Type: text/plain; charset="iso-8859-1"
                MIME-Version: 1.0

                Volvi=F3 a fallar.
                """),
        ]),
        Conversation(name: "Apple Mail: format=flowed, quoted-printable, a new subject on an open ticket", steps: [
            .mail(ticket: "M", raw: """
                From: Marta Ruiz <marta@icloud.com>
                Content-Type: text/plain; charset=utf-8; format=flowed
                Content-Transfer-Encoding: quoted-printable
                Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
                Subject: Poste inclinado
                Message-Id: <8F3C2A1E-5B7D-4C9A-9E2F-1A2B3C4D5E6F@icloud.com>
                Date: Mon, 7 Dec 2026 18:02:31 -0600
                To: soporte@luxfree.example

                El poste de la esquina est=C3=A1 inclinado y =
                se mueve con el viento.
                """),
            .mail(ticket: "M", raw: """
                From: Marta Ruiz <marta@icloud.com>
                Content-Type: text/plain; charset=utf-8
                Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
                Subject: Otra cosa: el recibo
                Message-Id: <1D2E3F4A-6B7C-4D8E-9F0A-B1C2D3E4F5A6@icloud.com>
                Date: Mon, 7 Dec 2026 18:10:00 -0600
                To: soporte@luxfree.example

                Tambi\u{00E9}n quer\u{00ED}a preguntar por el recibo.
                """),
        ]),
        Conversation(name: "Forwarded: an old notice forwarded as a new matter, then answered", steps: [
            .mail(ticket: "N", raw: """
                From: Nora <nora@example.mx>
                To: soporte@luxfree.example
                Subject: Fwd: Aviso de corte programado
                Message-ID: <fwd-1@example.mx>
                MIME-Version: 1.0
                Content-Type: multipart/mixed; boundary="fw"

                --fw
                Content-Type: text/plain; charset=utf-8

                ¿Esto sigue vigente?
                --fw
                Content-Type: message/rfc822

                From: avisos@luxfree.example
                To: nora@example.mx
                Subject: Aviso de corte programado
                Message-ID: <aviso-2026-11@luxfree.example>
                In-Reply-To: <somewhere-else@luxfree.example>

                El martes se corta la luz de 9 a 12.
                --fw--
                """),
            .mail(ticket: "N", raw: """
                From: Nora <nora@example.mx>
                To: soporte@luxfree.example
                Subject: Re: Fwd: Aviso de corte programado
                Message-ID: <fwd-2@example.mx>
                In-Reply-To: <fwd-1@example.mx>
                References: <aviso-2026-11@luxfree.example> <fwd-1@example.mx>

                Gracias.
                """),
        ]),
        Conversation(name: "Two customers in one thread: a colleague answers all, each keeps their own ticket", steps: [
            .mail(ticket: "ANA", raw: """
                From: Ana <ana@empresa.mx>
                To: soporte@luxfree.example
                Cc: Beto <beto@empresa.mx>
                Subject: Sin luz en la oficina
                Message-ID: <t2-1@empresa.mx>

                Desde la mañana.
                """),
            .mail(ticket: "BETO", raw: """
                From: Beto <beto@empresa.mx>
                To: Ana <ana@empresa.mx>
                Cc: soporte@luxfree.example
                Subject: RE: Sin luz en la oficina
                Message-ID: <t2-2@empresa.mx>
                In-Reply-To: <t2-1@empresa.mx>
                References: <t2-1@empresa.mx>

                En el segundo piso tampoco.
                """),
            .mail(ticket: "ANA", raw: """
                From: Ana <ana@empresa.mx>
                To: Beto <beto@empresa.mx>, soporte@luxfree.example
                Subject: RE: Sin luz en la oficina
                Message-ID: <t2-3@empresa.mx>
                In-Reply-To: <t2-2@empresa.mx>
                References: <t2-1@empresa.mx> <t2-2@empresa.mx>

                Ya volvió en la planta baja.
                """),
            .mail(ticket: "BETO", raw: """
                From: Beto <beto@empresa.mx>
                To: soporte@luxfree.example
                Subject: RE: Sin luz en la oficina
                Message-ID: <t2-4@empresa.mx>
                In-Reply-To: <t2-3@empresa.mx>
                References: <t2-1@empresa.mx> <t2-2@empresa.mx> <t2-3@empresa.mx>

                Arriba sigue igual.
                """),
        ]),
        Conversation(name: "A reply to an old mail goes back to its ticket, not to the open one", steps: [
            .mail(ticket: "OLD", raw: """
                From: Rosa <rosa@example.mx>
                To: soporte@luxfree.example
                Subject: Transformador
                Message-ID: <old-1@example.mx>

                Hace ruido el transformador.
                """),
            .resolve("OLD"),
            .mail(ticket: "NEW", raw: """
                From: Rosa <rosa@example.mx>
                To: soporte@luxfree.example
                Subject: Cambio de tarifa
                Message-ID: <new-1@example.mx>

                Quiero cambiar de tarifa.
                """),
            .mail(ticket: "OLD", raw: """
                From: Rosa <rosa@example.mx>
                To: soporte@luxfree.example
                Subject: Re: Transformador
                Message-ID: <old-2@example.mx>
                In-Reply-To: <old-1@example.mx>

                Otra vez hace ruido.
                """),
            .mail(ticket: "NEW", raw: """
                From: Rosa <rosa@example.mx>
                To: soporte@luxfree.example
                Subject: Re: Cambio de tarifa
                Message-ID: <new-2@example.mx>
                References: <new-1@example.mx>

                ¿Cuánto tarda?
                """),
        ]),
        Conversation(name: "A program that drops every header: the tagged address alone finds the ticket", steps: [
            .mail(ticket: "T", raw: """
                From: Teo <teo@example.mx>
                To: soporte@luxfree.example
                Subject: Cable caído
                Message-ID: <tag-1@example.mx>

                Hay un cable en la calle.
                """),
            .resolve("T"),
            .mail(ticket: "T", raw: """
                From: Teo <teo@example.mx>
                To: soporte+TAG@luxfree.example
                Subject: cable

                Sigue ahí.
                """, toTag: "T"),
        ]),
    ]

    @Test(arguments: StoreKind.available, conversations)
    func everyMailEndsInItsTicket(kind: StoreKind, conversation: Conversation) async throws {
        let desk = try await Desk(kind)
        var tickets: [String: String] = [:]
        for (index, step) in conversation.steps.enumerated() {
            switch step {
            case .resolve(let label):
                let ticketId = try #require(tickets[label])
                _ = try? await desk.services.tickets.claim(Desk.agent("ana"), ticketId)
                _ = try await desk.services.tickets.changeStatus(Desk.agent("ana"), ticketId, to: "resolved", reason: nil)
            case .mail(let label, let raw, let toTag):
                let bytes = Array(raw.replacingOccurrences(of: "\n", with: "\r\n").utf8)
                let mail = try MIMEParser.parse(bytes)
                var recipient = "soporte@luxfree.example"
                if let toTag { recipient = "soporte+\(try #require(tickets[toTag]))@luxfree.example" }
                let outcome = try await desk.services.mail.receive(mail, tenantId: "t", recipient: recipient, envelopeSender: mail.from?.address)
                guard case .stored(let ticketId, let created) = outcome else {
                    Issue.record("mail \(index + 1) was not stored: \(outcome)")
                    continue
                }
                if let expected = tickets[label] {
                    #expect(ticketId == expected && !created, "mail \(index + 1) belongs in \(label)'s ticket \(expected), went to \(ticketId)")
                } else {
                    #expect(created, "mail \(index + 1) opens \(label)'s ticket")
                    #expect(!tickets.values.contains(ticketId), "mail \(index + 1) opens a ticket of its own for \(label), went to another's")
                    tickets[label] = ticketId
                }
            }
        }
        // Each ticket holds its mails once, in order.
        for (label, ticketId) in tickets {
            let expected = conversation.steps.filter { if case .mail(label, _, _) = $0 { return true } else { return false } }.count
            let written = try await desk.services.conversations.messages(Desk.admin, ticketId, after: 0, limit: 50).messages.filter { $0.senderType == .customer }
            #expect(written.count == expected, "\(label): \(written.map(\.content))")
        }
    }
}
