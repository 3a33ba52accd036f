import ArgumentParser
import Foundation

/// HTTP load from wrk, for the pages' figures: the load generator shares this machine's two cores
/// with the service, and wrk (C, one thread, event-driven) takes a few percent of a core where the
/// Swift client took a quarter, which the service's own figures then lost.
extension HallBench {
    struct WrkResult {
        var requests: Int
        var seconds: Double
        /// Milliseconds.
        var p50: Double, p99: Double, worst: Double
        /// Answers with a status of 400 or more, and requests that failed on the socket.
        var failed: Int
        var rate: Double { Double(requests - failed) / seconds }
    }

    /// One request of a wrk run.
    struct WrkRequest {
        var method = "GET"
        var path: String
        /// A form, sent as `application/x-www-form-urlencoded`.
        var form: String?
    }

    /// wrk's path, or nil when it is not installed (`deploy/hall install` installs it).
    static var wrkPath: String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        return folders.map { "\($0)/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `requests` sent in turn, the first again after the last, from `clients` keep-alive
    /// connections for `seconds` (closed loop: a connection sends its next request when the
    /// answer has come).
    func wrk(base: String, clients: Int, seconds: Int, _ requests: [WrkRequest]) throws -> WrkResult {
        guard let wrk = Self.wrkPath else { throw ValidationError("wrk is not installed: deploy/hall install") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hallbench-wrk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = requests.map { "\($0.method)\t\($0.path)\t\($0.form ?? "")" }.joined(separator: "\n") + "\n"
        try list.write(to: folder.appendingPathComponent("requests.tsv"), atomically: true, encoding: .utf8)
        let script = """
            local formatted = {}
            local turn = 0
            init = function(args)
              for line in io.lines(args[1]) do
                local method, path, form = line:match("^([^\\t]*)\\t([^\\t]*)\\t(.*)$")
                if form == "" then
                  table.insert(formatted, wrk.format(method, path))
                else
                  table.insert(formatted, wrk.format(method, path, {["Content-Type"] = "application/x-www-form-urlencoded"}, form))
                end
              end
            end
            request = function()
              turn = turn % #formatted + 1
              return formatted[turn]
            end
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), latency.max, e.status + e.connect + e.read + e.write + e.timeout))
            end
            """
        try script.write(to: folder.appendingPathComponent("load.lua"), atomically: true, encoding: .utf8)
        let output = try shell([
            wrk, "-t1", "-c\(clients)", "-d\(seconds)s", "--timeout", "10s", "-s", folder.appendingPathComponent("load.lua").path, base, "--",
            folder.appendingPathComponent("requests.tsv").path,
        ])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw ValidationError("wrk printed no result:\n\(output)")
        }
        let numbers = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard numbers.count == 6 else { throw ValidationError("wrk's result is not understood: \(line)") }
        return WrkResult(
            requests: Int(numbers[0]), seconds: numbers[1] / 1e6, p50: numbers[2] / 1000, p99: numbers[3] / 1000, worst: numbers[4] / 1000,
            failed: Int(numbers[5]))
    }
}
