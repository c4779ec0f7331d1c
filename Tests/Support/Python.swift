import Foundation

/// Runs a Python script (`python3 -c script arguments...`) as a real client would be run,
/// waiting on a thread of its own; answers the JSON object the script printed last, or nil
/// (with everything it printed, for the failure's message).
public func pythonJSON(_ script: String, _ arguments: [String]) async throws -> (json: [String: Any]?, output: String) {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = await onAThread {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
    let last = output.split(separator: "\n").last.map(String.init) ?? ""
    return ((try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any], output)
}
