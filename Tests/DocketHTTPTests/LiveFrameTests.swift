@testable import DocketLive
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

/// A broadcast's frame is encoded once and written below NIO's frame encoder: its bytes must be
/// exactly what that encoder writes for the same text.
@Suite("Live frames")
struct LiveFrameTests {
    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func aFrameEncodedOnceIsWhatNIOsEncoderWrites(length: Int) throws {
        let text = String(repeating: "é", count: length / 2) + String(repeating: "a", count: length % 2)
        let frame = LiveFrame(text)

        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        var encoded = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { encoded.writeBuffer(&part) }
        _ = try channel.finish()

        #expect(frame.wire == encoded)
        #expect(frame.payload == ByteBuffer(string: text))
        #expect(frame.text == text)
    }
}
