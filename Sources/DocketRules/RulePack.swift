import DocketCore

/// A pack's rules as the engine needs them: the manifest and the Lua sources by path.
public struct RulePack: Sendable {
    public var manifest: PackManifest
    /// `rules/triage.lua` → source text.
    public var sources: [String: String]
    /// Prefix of chunk names so errors name the real file: `IndustryPacks/luxfree-solar/`.
    public var location: String

    public init(manifest: PackManifest, sources: [String: String], location: String) {
        self.manifest = manifest
        self.sources = sources
        self.location = location
    }

    public var key: String { "\(manifest.id)@\(manifest.version)" }
}

/// A module of the standard library every pack may `require` (`Rules/docket/text.lua`).
public struct StandardModule: Sendable {
    /// `docket.text`
    public var name: String
    public var source: String
    /// `Rules/docket/text.lua`
    public var path: String

    public init(name: String, source: String, path: String) {
        self.name = name
        self.source = source
        self.path = path
    }
}
