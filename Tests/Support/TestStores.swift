import Foundation

/// Which stores a run covers. MongoDB is the stand-in `scripts/test.sh` and `.ci/run` start
/// (`DOCKET_TEST_MONGO_URI`, its executable `DOCKET_TEST_MONGO_BIN`). No MongoDB test passes by
/// not running: without them each fails, saying what to set — unless `DOCKET_TEST_STORES` names
/// the stores to run and leaves `mongo` out (`DOCKET_TEST_STORES=memory,sqlite swift test`), a
/// local shortcut that Swift Testing reports as skipped tests and that `scripts/test.sh` refuses
/// under CI.
public enum TestStores {
    static let environment = ProcessInfo.processInfo.environment

    /// The stand-in's URI, when set.
    public static let mongoURI = environment["DOCKET_TEST_MONGO_URI"].flatMap { $0.isEmpty ? nil : $0 }
    /// The stand-in's executable, for tests that start one of their own (outages, restarts).
    public static let mongoBinary = environment["DOCKET_TEST_MONGO_BIN"].flatMap { $0.isEmpty ? nil : $0 }

    /// False only when `DOCKET_TEST_STORES` is set and leaves MongoDB out.
    public static let runsMongo: Bool = {
        guard let asked = environment["DOCKET_TEST_STORES"], !asked.isEmpty else { return true }
        return asked.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains("mongo")
    }()

    public struct MissingMongo: Error, CustomStringConvertible {
        let variable: String
        public var description: String {
            "\(variable) is not set: run the suite with scripts/test.sh (it starts the MongoDB stand-in), "
                + "or leave MongoDB out on purpose with DOCKET_TEST_STORES=memory,sqlite"
        }
    }

    /// The stand-in's URI, or an error that fails the test saying what to set.
    public static func requireMongoURI() throws -> String {
        guard let mongoURI else { throw MissingMongo(variable: "DOCKET_TEST_MONGO_URI") }
        return mongoURI
    }

    /// The stand-in's executable, or an error that fails the test saying what to set.
    public static func requireMongoBinary() throws -> String {
        guard let mongoBinary else { throw MissingMongo(variable: "DOCKET_TEST_MONGO_BIN") }
        return mongoBinary
    }
}
