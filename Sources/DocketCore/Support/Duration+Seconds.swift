extension Duration {
    /// The duration in seconds, fractions kept (for rates and reports).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
