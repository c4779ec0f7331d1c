import DocketCore
import Foundation

extension Configuration {
    /// The settings given on a command line, by key name: `--flag value` or `--flag=value` for
    /// each key of `Configuration.keys` whose scope is one of `scopes`. Anything else is refused
    /// with what was wrong: an unknown flag (with the nearest known one), a flag of another
    /// command, a missing value, a setting given twice, a stray word.
    public static func flags(from arguments: [String], scopes: [ConfigurationKey.Scope], command: String) throws -> [String: String] {
        var given: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw SetupError("\(command): unexpected argument '\(argument)'")
            }
            var flag = String(argument.dropFirst(2))
            var value: String?
            if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            }
            guard let key = keys.first(where: { $0.flag == flag }) else {
                let known = keys.filter { scopes.contains($0.scope) }.compactMap(\.flag)
                let near = known.min { EditDistance.between($0, flag) < EditDistance.between($1, flag) }
                let hint = near.map { EditDistance.between($0, flag) <= max(2, flag.count / 3) ? "; did you mean '--\($0)'?" : "" } ?? ""
                throw SetupError("\(command): unknown option '--\(flag)'\(hint) (--help lists them)")
            }
            guard scopes.contains(key.scope) else {
                throw SetupError("\(command): '--\(flag)' (\(key.name)) is a setting of docket serve only")
            }
            if value == nil {
                guard index < arguments.count else { throw SetupError("\(command): '--\(flag)' needs a value (\(key.name))") }
                value = arguments[index]
                index += 1
            }
            guard given[key.name] == nil else { throw SetupError("\(command): '--\(flag)' is given twice") }
            given[key.name] = value
        }
        return given
    }

    /// The help lines of the settings of `scopes`: the flag, what it is, then its key, variable,
    /// default and range; wrapped and indented here, so each line fits 80 columns.
    public static func help(scopes: [ConfigurationKey.Scope]) -> String {
        keys.filter { scopes.contains($0.scope) }.map { key in
            let flag = key.flag.map { "--\($0) <value>" } ?? "(\(key.environment) only)"
            var facts = [key.name, key.environment]
            if let fallback = key.fallback { facts.append("default \(fallback)") }
            if let range = key.range { facts.append("\(range.lowerBound)...\(range.upperBound)") }
            return (["  \(flag)"] + wrap(key.help, width: 72) + wrap(facts.joined(separator: "; "), width: 72))
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters (words are not split), indented six spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " \(word)"
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { "      \($0)" }
    }

    /// Every key's value and where it came from (a flag, a variable, the default, or unset), as
    /// `docket serve --check-config` prints it. The secret is never shown.
    public static func resolved(flags: [String: String], environment: [String: String]) -> [(key: ConfigurationKey, value: String?, from: String)] {
        let source = Source(flags: flags, environment: environment)
        return keys.map { key in
            if let (value, from) = source.given(key.name) {
                return (key, key.name == "auth.jwtSecret" ? "(\(value.utf8.count) bytes)" : value, from)
            }
            return (key, key.fallback, key.fallback == nil ? "unset" : "default")
        }
    }
}
