import ArgumentParser

@main
struct DocketLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docket-load",
        abstract: "Measures a running Docket server over loopback, the way its users would feel it.",
        subcommands: [Run.self, Seed.self, Micro.self, Fanout.self, RulesBench.self, SLABench.self, TimersBench.self])
}
