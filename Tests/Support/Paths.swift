import Foundation

/// The repository's shipped packs (`IndustryPacks/`); its parent is the repository.
public let packsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("IndustryPacks")
