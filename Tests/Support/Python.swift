import Foundation

/// Runs a Python script (`python3 -c script arguments...`) as a real client would be run,
/// waiting on a thread of its own; answers the JSON object the script printed last, or nil
/// (with everything it printed, for the failure's message).
public func pythonJSON(_ script: String, _ arguments: [String], python: String = "/usr/bin/python3") async throws -> (json: [String: Any]?, output: String) {
    let output = try await runProgram(python, ["-c", script] + arguments).output
    let last = output.split(separator: "\n").last.map(String.init) ?? ""
    return ((try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any], output)
}

/// Runs `executable` with `arguments` to its end, waiting on a thread of its own: its exit
/// status, and everything it wrote (standard output and error together).
public func runProgram(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = await onAThread {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
    return (process.terminationStatus, output)
}

/// A mail as Python's `email` package reads it (an independent MIME reader): its subject, From,
/// text and HTML bodies (decoded) and the content types of its parts, in order.
public func pythonEmail(_ message: [UInt8]) async throws -> (json: [String: Any]?, output: String) {
    let file = try Scratch.directory("python-email").appendingPathComponent("m.eml")
    try Data(message).write(to: file)
    return try await pythonJSON(#"""
        import email, json, sys
        from email import policy
        m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
        html = m.get_body(('html',))
        print(json.dumps({'subject': str(m['subject']), 'from': str(m['from']),
                          'text': m.get_body(('plain',)).get_content(), 'html': html.get_content() if html else None,
                          'types': [p.get_content_type() for p in m.walk()]}))
        """#, [file.path])
}

/// An independent DKIM verifier: Python's dkimpy (in `.venv-mail`), with the DNS answer for
/// the key given rather than looked up. Answers whether `message` carries a valid signature,
/// and dkimpy's words when it does not.
public enum DKIMCheck {
    public static func verify(_ message: [UInt8], dnsName: String, record: String) async throws -> (valid: Bool, output: String) {
        let file = try Scratch.directory("dkim").appendingPathComponent("message.eml")
        try Data(message).write(to: file)
        let (json, output) = try await pythonJSON(script, [file.path, dnsName, record], python: SMTPSink.python)
        guard let json, let valid = json["valid"] as? Bool else { throw SMTPSink.SinkError("dkimpy said: \(output)") }
        return (valid, output)
    }

    static let script = #"""
        import sys, json, logging, io, dkim
        path, name, record = sys.argv[1], sys.argv[2], sys.argv[3]
        def dns(query, timeout=5):
            asked = query.decode().rstrip('.')
            return record.encode() if asked == name else None
        log = io.StringIO()
        logger = logging.getLogger('dkim')
        logger.addHandler(logging.StreamHandler(log))
        logger.setLevel(logging.DEBUG)
        message = open(path, 'rb').read()
        try:
            valid = dkim.verify(message, logger=logger, dnsfunc=dns)
        except Exception as e:
            print(repr(e))
            valid = False
        print(log.getvalue())
        print(json.dumps({'valid': bool(valid)}))
        """#
}
