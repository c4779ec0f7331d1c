import DocketCore
import Testing

/// HTML from a mail made text: what a reader sees, never markup, never more than was sent.
@Suite("HTML made text")
struct HTMLTextTests {
    @Test func scriptsStylesCommentsAndUnsafeLinksLeaveNothingBehind() {
        #expect(HTMLText.plain("<p>Hola</p><script>alert(1)</script><style>p{}</style><!-- x -->") == "Hola")
        #expect(HTMLText.plain(#"<a href="javascript:alert(1)">clic</a>"#) == "clic", "only http, https and mailto addresses are shown")
        #expect(HTMLText.plain(#"<a href='https://a.example/?q=1&amp;r=2'>ver</a>"#) == "ver <https://a.example/?q=1&r=2>")
        #expect(HTMLText.plain("antes<script>nunca se cierra") == "antes", "an unclosed script hides the rest")
        #expect(HTMLText.plain("<SCRIPT>x</SCRIPT >visible") == "visible")
        #expect(HTMLText.plain(#"<img src=x onerror="alert(1)" alt="foto">"#) == "[foto]")
    }

    @Test func referencesDecodeOnceFromATableAndNumbers() {
        #expect(HTMLText.plain("&lt;b&gt; &amp;lt; &#241; &#xF1; &ntilde; &bogus; & solo") == "<b> &lt; ñ ñ ñ &bogus; & solo")
        #expect(HTMLText.plain("a&#0;b&#1;c&#x110000;d") == "a\u{FFFD}bc\u{FFFD}d")
    }

    @Test func blocksBreaksAndListsShapeTheLines() {
        #expect(HTMLText.plain("<div>uno</div><div>dos<br>tres</div>") == "uno\ndos\ntres")
        #expect(HTMLText.plain("<p>a</p>\n\n\n<p>b</p>") == "a\n\nb")
        #expect(HTMLText.plain("<ul><li>x</li><li>y<ul><li>z</li></ul></li></ul>") == "• x\n• y\n  • z")
        #expect(HTMLText.plain("  mucho     espacio \n aquí ") == "mucho espacio aquí")
        #expect(HTMLText.plain("1 < 2 y 3 > 2") == "1 < 2 y 3 > 2", "a lone < is text")
    }

    @Test func theTextIsNeverLongerThanTheHTML() {
        let bomb = String(repeating: "<br>", count: 10_000) + String(repeating: "<li>", count: 10_000)
        #expect(HTMLText.plain(bomb).utf8.count <= bomb.utf8.count)
    }
}
