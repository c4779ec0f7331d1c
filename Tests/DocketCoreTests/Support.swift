import DocketCore
import DocketMemory
import DocketPacks
import Foundation

/// The repository's shipped packs.
let packsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("IndustryPacks")
