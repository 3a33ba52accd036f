import Foundation
import HallKit
import HallLocalStack
import HallServiceHarness
import HummingbirdTesting
import Testing
@testable import intake

#if canImport(Glibc)
import Glibc
#endif

@Suite("HTTP limits against the real intake service", .enabled(if: LocalStack.isAvailable))
struct HTTPLimitsTests {
    @Test("guessing case codes from one address is answered 429 with Retry-After past the per-minute rate; other routes are not limited")
    func lookupsLimited() async throws {
        try await ServiceHarness.run(
            .intake, extra: ["HALL_PUBLIC_LOOKUPS_PER_MINUTE": "5"],
            definition: { IntakeService.definition(try IntakeSettings(environment: $0)) }
        ) { service in
            var statuses: [Int] = []
            var retryAfter: String?
            for n in 0..<7 {
                try await service.client.execute(uri: "/v1/cases/RC-GUESS-\(n)?idNumber=110105194912310037", method: .get) { response in
                    statuses.append(Int(response.status.code))
                    if response.status == .tooManyRequests { retryAfter = response.headers[.retryAfter] }
                }
            }
            #expect(statuses == [404, 404, 404, 404, 404, 429, 429])
            #expect(retryAfter.flatMap(Int.init).map { (1...60).contains($0) } == true, "Retry-After in seconds: \(retryAfter ?? "none")")
            // The catalogue is not a look-up by code: not limited.
            try await service.client.execute(uri: "/v1/items", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("a connection that never finishes its headers is closed after the idle timeout")
    func unfinishedHeadersClosed() async throws {
        try await ServiceHarness.run(
            .intake, extra: ["HALL_HTTP_IDLE_TIMEOUT": "1s"],
            definition: { IntakeService.definition(try IntakeSettings(environment: $0)) }
        ) { service in
            let port = try #require(service.client.port)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(socket >= 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            let partial = Array("GET /v1/items HTTP/1.1\r\nHost: hall\r\nX-Slow: ".utf8)
            #expect(send(socket, partial, partial.count, 0) == partial.count)
            // Wait up to 10 s for the server to close (recv answers 0 at end of stream).
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let started = ContinuousClock.now
            var buffer = [UInt8](repeating: 0, count: 1024)
            let received = recv(socket, &buffer, buffer.count, 0)
            #expect(received == 0, "the server closed the connection")
            #expect(ContinuousClock.now - started < .seconds(9))
        }
    }
}
