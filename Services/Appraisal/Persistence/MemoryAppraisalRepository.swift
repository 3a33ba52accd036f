import Foundation
import HallKit

/// ``AppraisalRepository`` in memory, for route tests: figures given up front, filtered as asked.
struct MemoryAppraisalRepository: AppraisalRepository {
    var stored = RatedWindows(windows: [])
    /// Figures by dimension and period.
    var rows: [FigureDimension: [FigurePeriod: [FigureRow]]] = [:]

    func windows() async throws -> RatedWindows { stored }

    func figures(_ query: FiguresQuery) async throws -> [FigureRow] {
        (rows[query.dimension]?[query.period] ?? []).filter {
            $0.period.description >= query.from.description && $0.period.description <= query.to.description && (query.key == nil || $0.key == query.key)
        }
    }
}
