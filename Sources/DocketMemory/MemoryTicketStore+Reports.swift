import DocketCore
import Foundation

extension MemoryTicketStore {
    public func reportRows(tenantId: String, dimension: String, values: [String]?, from: Int64, to: Int64, byDay: Bool) async throws -> [ReportRow] {
        state.withLock { $0.reports[tenantId] ?? ReportDelta() }.rows(dimension: dimension, values: values, from: from, to: to, byDay: byDay)
    }

    public func reportTotals(tenantId: String, dimension: String, values: [String]?, before: Int64) async throws -> [String: ReportFigures] {
        state.withLock { $0.reports[tenantId] ?? ReportDelta() }.totals(dimension: dimension, values: values, before: before)
    }

    public func reportHistogram(
        tenantId: String, grain: ReportHistogramKey.Grain, dimension: String, values: [String]?, from: Int64, to: Int64
    ) async throws -> [ReportHistogramRow] {
        state.withLock { $0.reports[tenantId] ?? ReportDelta() }.histogramRows(grain: grain, dimension: dimension, values: values, from: from, to: to)
    }

    public func replaceReports(tenantId: String, with figures: ReportDelta) async throws {
        state.withLock { state in
            // The rules' rows are counted as rules run and stay (`ReportKey.ruleDimensions`).
            var replaced = figures
            for (key, row) in state.reports[tenantId]?.rows ?? [:] where ReportKey.ruleDimensions.contains(key.dimension) { replaced.rows[key] = row }
            state.reports[tenantId] = replaced
        }
    }
}
