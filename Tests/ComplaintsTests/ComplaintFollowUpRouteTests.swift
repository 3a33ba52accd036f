import Foundation
import HallCalendar
import HallContracts
import HallKit
import Hummingbird
import HummingbirdTesting
import Testing

@testable import complaints

/// What follows an accepted complaint, in process over the memory repository: the department's
/// part, sanctions, the removal rule, deadlines, the complainant's rating and review.
@Suite("complaints: departments, sanctions, deadlines, rating and review over a repository in memory")
struct ComplaintFollowUpRouteTests {
    typealias Kit = ComplaintHandlingRouteTests

    static func file(_ client: some TestClientProtocol, _ filing: [String: JSONValue] = Kit.filing) async throws -> (id: String, code: String) {
        let filed = try await client.execute(uri: "/v1/complaints", method: .post, headers: try await Kit.headers(), body: try Kit.body(filing)) {
            #expect($0.status == .created)
            return Kit.json($0)
        }
        return (filed["complaintId"]?.stringValue ?? "", filed["trackingCode"]?.stringValue ?? "")
    }

    /// Posts a step and answers the status and the body.
    @discardableResult
    static func post(_ client: some TestClientProtocol, _ uri: String, _ headers: HTTPFields, _ body: [String: JSONValue] = [:]) async throws
        -> (HTTPResponse.Status, JSONValue)
    {
        try await client.execute(uri: uri, method: .post, headers: headers, body: try Kit.body(body)) { ($0.status, Kit.json($0)) }
    }

    static let warning: JSONValue = ["kind": "efficiency-warning", "subjectKind": "staff", "subjectId": "s-li", "reason": "态度生硬属实"]

    @Test("the centre passes a complaint to the department concerned, which sees only it, without the complainant unless released, and returns its findings; another department cannot")
    func department() async throws {
        let repository = try MemoryComplaintsRepository(stored: Kit.targets, staff: Kit.staff)
        let handler = try await Kit.headers("h-zhao", [.complaintsHandler])
        let market = try await Kit.headers("o-ma", [.departmentOfficer], department: "d-market")
        let tax = try await Kit.headers("o-tax", [.departmentOfficer], department: "d-tax")
        let accused = try await Kit.headers("s-li", [.departmentOfficer], department: "d-market")
        let unknown = try await Kit.headers("o-x", [.departmentOfficer], department: "d-nowhere")
        try await (await Kit.app(repository)).test(.router) { client in
            let (id, _) = try await Self.file(client)
            let (hidden, _) = try await Self.file(client)
            for complaint in [id, hidden] { try await Self.post(client, "/v1/complaints/\(complaint)/acceptance", handler, ["accepted": true]) }
            let (unknownStatus, unknownBody) = try await Self.post(
                client, "/v1/complaints/\(id)/referral", handler, ["departmentId": "d-nowhere", "instructions": "请核查"])
            #expect(unknownStatus == .badRequest && unknownBody["field"] == "departmentId")
            let (status, record) = try await Self.post(
                client, "/v1/complaints/\(id)/referral", handler, ["departmentId": "d-market", "instructions": "请调取当日录像核查"])
            #expect(status == .ok && record["summary"]?["status"] == "referred" && record["summary"]?["referredTo"] == "d-market")
            #expect(record["summary"]?["deadline"]?["step"] == "department-findings")
            try await Self.post(
                client, "/v1/complaints/\(hidden)/referral", handler, ["departmentId": "d-market", "instructions": "请核查", "releaseIdentity": true])
            // The centre cannot conclude while the department has it.
            let (away, awayBody) = try await Self.post(client, "/v1/complaints/\(id)/conclusion", handler, ["finding": "substantiated", "findings": "x"])
            #expect(away == .conflict && awayBody["field"] == "finding")

            try await client.execute(uri: "/v1/referrals", method: .get, headers: market) {
                let listed = Kit.json($0).arrayValue ?? []
                #expect(Set(listed.compactMap { $0["complaintId"]?.stringValue }) == [id, hidden])
                #expect(listed.allSatisfy { $0["complainant"] == nil }, "the list never shows a complainant")
            }
            try await client.execute(uri: "/v1/referrals/\(id)", method: .get, headers: market) {
                let view = Kit.json($0)
                #expect(view["instructions"] == "请调取当日录像核查" && view["complainant"] == nil && view["status"] == "referred")
            }
            try await client.execute(uri: "/v1/referrals/\(hidden)", method: .get, headers: market) {
                #expect(Kit.json($0)["complainant"]?["name"] == "王敏", "released by the handler")
            }
            #expect(try await repository.identityReads(complaintId: try #require(UUID(uuidString: hidden))).map(\.readerId).first == "o-ma")
            try await client.execute(uri: "/v1/referrals", method: .get, headers: tax) { #expect(Kit.json($0).arrayValue?.isEmpty == true) }
            try await client.execute(uri: "/v1/referrals/\(id)", method: .get, headers: tax) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/referrals/\(id)", method: .get, headers: accused) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/referrals", method: .get, headers: accused) { #expect(Kit.json($0).arrayValue?.isEmpty == true) }
            try await client.execute(uri: "/v1/referrals", method: .get, headers: unknown) {
                #expect($0.status == .forbidden && Kit.json($0)["field"] == "department")
            }
            try await client.execute(uri: "/v1/referrals", method: .get, headers: handler) { #expect($0.status == .forbidden) }
            let (taxStatus, _) = try await Self.post(client, "/v1/referrals/\(id)/findings", tax, ["findings": "x"])
            #expect(taxStatus == .forbidden)
            let (blank, blankBody) = try await Self.post(client, "/v1/referrals/\(id)/findings", market, ["findings": " "])
            #expect(blank == .badRequest && blankBody["field"] == "findings")
            let (returned, view) = try await Self.post(client, "/v1/referrals/\(id)/findings", market, ["findings": "录像显示该工作人员态度生硬"])
            #expect(returned == .ok && view["status"] == "investigating" && view["findings"] == "录像显示该工作人员态度生硬")
            let (again, _) = try await Self.post(client, "/v1/referrals/\(id)/return", market, ["reason": "x"])
            #expect(again == .conflict, "returned once")
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: handler) {
                let full = Kit.json($0)
                #expect(full["summary"]?["status"] == "investigating" && full["summary"]?["deadline"]?["step"] == "conclusion")
                #expect(full["referral"]?["findings"] == "录像显示该工作人员态度生硬")
            }
            let progressed = try await repository.events.filter { $0.envelope.type == ComplaintProgressed.eventType }
                .map { try $0.envelope.payload(as: ComplaintProgressed.self) }.filter { $0.complaintId.uuidString.lowercased() == id.lowercased() }
            #expect(progressed.map(\.step) == [.accept, .refer, .departmentFindings])
            #expect(progressed.map(\.departmentId) == [nil, "d-market", "d-market"])
            #expect(progressed.last?.actorId == "o-ma")
        }
    }

    @Test("sanctions: refused on an unsubstantiated complaint or an unrelated subject; decided ones are events; two substantiated complaints in a year propose removal, which the centre decides once")
    func sanctionsAndRemoval() async throws {
        let repository = try MemoryComplaintsRepository(stored: Kit.targets, staff: Kit.staff)
        let handler = try await Kit.headers("h-zhao", [.complaintsHandler])
        let admin = try await Kit.headers("admin-sun", [.centreAdmin])
        try await (await Kit.app(repository)).test(.router) { client in
            let (cleared, _) = try await Self.file(client)
            try await Self.post(client, "/v1/complaints/\(cleared)/acceptance", handler, ["accepted": true])
            try await Self.post(client, "/v1/complaints/\(cleared)/conclusion", handler, ["finding": "unsubstantiated", "findings": "录像显示接待规范"])
            let (onCleared, clearedBody) = try await Self.post(client, "/v1/complaints/\(cleared)/sanction-decision", handler, ["sanctions": [Self.warning]])
            #expect(onCleared == .conflict && clearedBody["field"] == "sanctions")

            var ids: [String] = []
            for _ in 0..<2 {
                let (id, _) = try await Self.file(client)
                ids.append(id)
                try await Self.post(client, "/v1/complaints/\(id)/acceptance", handler, ["accepted": true])
                try await Self.post(client, "/v1/complaints/\(id)/conclusion", handler, ["finding": "substantiated", "findings": "态度生硬属实"])
                let (second, secondBody) = try await Self.post(client, "/v1/complaints/\(id)/conclusion", handler, ["finding": "substantiated", "findings": "again"])
                #expect(second == .conflict && secondBody["field"] == "finding", "a second substantiation")
            }
            let unrelated: JSONValue = ["kind": "efficiency-warning", "subjectKind": "staff", "subjectId": "s-tax", "reason": "x"]
            let (wrong, wrongBody) = try await Self.post(client, "/v1/complaints/\(ids[0])/sanction-decision", handler, ["sanctions": [Self.warning, unrelated]])
            #expect(wrong == .badRequest && wrongBody["field"] == "sanctions[1].subjectId")
            let departmentWarning: JSONValue = ["kind": "removal", "subjectKind": "department", "subjectId": "d-market", "reason": "x"]
            let (kind, kindBody) = try await Self.post(client, "/v1/complaints/\(ids[0])/sanction-decision", handler, ["sanctions": [departmentWarning]])
            #expect(kind == .badRequest && kindBody["field"] == "sanctions[0].kind")
            let (decided, record) = try await Self.post(client, "/v1/complaints/\(ids[0])/sanction-decision", handler, ["sanctions": [Self.warning]])
            #expect(decided == .ok && record["summary"]?["status"] == "sanction-decided" && record["sanctions"]?.arrayValue?.count == 1)

            // The second substantiated complaint about 李娜 within twelve months proposed her removal.
            let proposals = try await client.execute(uri: "/v1/removal-proposals?pending=true", method: .get, headers: admin) { Kit.json($0).arrayValue ?? [] }
            #expect(proposals.count == 1 && proposals.first?["staffId"] == "s-li" && proposals.first?["departmentId"] == "d-market")
            #expect(Set(proposals.first?["complaintIds"]?.arrayValue?.compactMap(\.stringValue).map { $0.lowercased() } ?? []) == Set(ids.map { $0.lowercased() }))
            let proposal = try #require(proposals.first?["proposalId"]?.stringValue)
            let (notAdmin, _) = try await Self.post(client, "/v1/removal-proposals/\(proposal)/decision", handler, ["remove": true, "reason": "x"])
            #expect(notAdmin == .forbidden)
            let (removed, removal) = try await Self.post(client, "/v1/removal-proposals/\(proposal)/decision", admin, ["remove": true, "reason": "一年内两次查实投诉"])
            #expect(removed == .ok && removal["status"] == "removed" && removal["sanctionId"] != nil)
            let (twice, _) = try await Self.post(client, "/v1/removal-proposals/\(proposal)/decision", admin, ["remove": false, "reason": "x"])
            #expect(twice == .conflict)
            try await client.execute(uri: "/v1/sanctions?subjectId=s-li", method: .get, headers: handler) {
                #expect(Kit.json($0).arrayValue?.compactMap { $0["kind"]?.stringValue } == ["removal", "efficiency-warning"])
            }
            try await client.execute(uri: "/v1/sanctions", method: .get, headers: try await Kit.headers("s-wu", [.clerk])) { #expect($0.status == .forbidden) }

            let events = await repository.events
            #expect(events.filter { $0.envelope.type == RemovalProposed.eventType }.count == 1)
            let sanctions = try events.filter { $0.envelope.type == SanctionDecided.eventType }.map { try $0.envelope.payload(as: SanctionDecided.self) }
            #expect(sanctions.map(\.kind) == [.efficiencyWarning, .removal])
            #expect(sanctions.last?.departmentId == "d-market" && sanctions.last?.complaintIds.count == 2 && sanctions.last?.decidedBy == "admin-sun")
        }
    }

    @Test("a step not taken by its day is flagged: a warning on the due day, overdue the day after, each once; the queue shows it")
    func deadlines() async throws {
        let repository = try MemoryComplaintsRepository(stored: Kit.targets, staff: Kit.staff)
        let handler = try await Kit.headers("h-zhao", [.complaintsHandler])
        try await (await Kit.app(repository)).test(.router) { client in
            let (id, code) = try await Self.file(client)
            let due = try await client.execute(uri: "/v1/complaints/track/\(code)", method: .get) { Kit.json($0)["dueDate"]?.stringValue }
            let dueDay = try #require(due.flatMap { LocalDate(iso: $0) })
            #expect(try await repository.fireDueTimers(now: dueDay.startInstant.addingTimeInterval(-1), limit: 100) == 0, "nothing before the due day")
            #expect(try await repository.fireDueTimers(now: dueDay.startInstant, limit: 100) == 1)
            try await client.execute(uri: "/v1/complaints", method: .get, headers: handler) { #expect(Kit.json($0).arrayValue?.first?["overdue"] == false) }
            #expect(try await repository.fireDueTimers(now: dueDay.endInstant, limit: 100) == 1)
            #expect(try await repository.fireDueTimers(now: dueDay.endInstant.addingTimeInterval(86_400), limit: 100) == 0, "each flag once")
            try await client.execute(uri: "/v1/complaints", method: .get, headers: handler) { #expect(Kit.json($0).arrayValue?.first?["overdue"] == true) }
            let flags = try await repository.events.filter { $0.envelope.type == ComplaintDeadlineFlagged.eventType }
                .map { try $0.envelope.payload(as: ComplaintDeadlineFlagged.self) }
            #expect(flags.map(\.flag) == [.warning, .overdue] && flags.allSatisfy { $0.step == .acceptance && $0.dueDate.description == due })
            // Taking the step clears the flag and sets the next deadline.
            let (_, record) = try await Self.post(client, "/v1/complaints/\(id)/acceptance", handler, ["accepted": true])
            #expect(record["summary"]?["overdue"] == false && record["summary"]?["deadline"]?["step"] == "conclusion")
            #expect(record["flags"]?.arrayValue?.count == 2)
        }
    }

    @Test("the complainant rates the handling once after the reply and asks once for a review, which the handlers answer again")
    func ratingAndReview() async throws {
        let repository = try MemoryComplaintsRepository(stored: Kit.targets, staff: Kit.staff)
        let handler = try await Kit.headers("h-zhao", [.complaintsHandler])
        try await (await Kit.app(repository)).test(.router) { client in
            let (id, code) = try await Self.file(client)
            let (early, earlyBody) = try await Self.post(client, "/v1/complaints/track/\(code)/rating", [.contentType: "application/json"], ["rating": "satisfied"])
            #expect(early == .conflict && earlyBody["field"] == "rating", "rated after the reply")
            let (earlyReview, _) = try await Self.post(client, "/v1/complaints/track/\(code)/review", [.contentType: "application/json"], ["reason": "x"])
            #expect(earlyReview == .conflict)
            try await Self.post(client, "/v1/complaints/\(id)/acceptance", handler, ["accepted": true])
            try await Self.post(client, "/v1/complaints/\(id)/conclusion", handler, ["finding": "unsubstantiated", "findings": "录像显示接待规范"])
            try await Self.post(client, "/v1/complaints/\(id)/reply", handler, ["reply": "经查不属实"])
            let json: HTTPFields = [.contentType: "application/json"]
            let (badLevel, badBody) = try await Self.post(client, "/v1/complaints/track/\(code)/rating", json, ["rating": "great"])
            #expect(badLevel == .badRequest && badBody["field"] == "rating")
            let (rated, tracking) = try await Self.post(client, "/v1/complaints/track/\(code)/rating", json, ["rating": "dissatisfied", "comment": "调查不充分"])
            #expect(rated == .ok && tracking["rating"] == "dissatisfied" && tracking["reviewUntil"] != nil)
            let (twice, _) = try await Self.post(client, "/v1/complaints/track/\(code)/rating", json, ["rating": "satisfied"])
            #expect(twice == .conflict)
            let (reviewed, underReview) = try await Self.post(client, "/v1/complaints/track/\(code)/review", json, ["reason": "调查未询问在场其他群众"])
            #expect(reviewed == .ok && underReview["status"] == "under-review" && underReview["reviewed"] == true)
            let (concluded, record) = try await Self.post(client, "/v1/complaints/\(id)/conclusion", handler, ["finding": "partly-substantiated", "findings": "复查：部分属实"])
            #expect(concluded == .ok && record["finding"] == "partly-substantiated" && record["summary"]?["deadline"]?["step"] == "sanction-decision")
            try await Self.post(client, "/v1/complaints/\(id)/sanction-decision", handler, ["sanctions": [], "note": "当事人已调岗，不再处理"])
            try await Self.post(client, "/v1/complaints/\(id)/reply", handler, ["reply": "复查部分属实，已整改"])
            try await Self.post(client, "/v1/complaints/\(id)/close", handler)
            let (secondReview, secondBody) = try await Self.post(client, "/v1/complaints/track/\(code)/review", json, ["reason": "再复查"])
            #expect(secondReview == .conflict && secondBody["field"] == "reason", "a review is asked for once")
            let (unknown, _) = try await Self.post(client, "/v1/complaints/track/T23456789ABCD/rating", json, ["rating": "satisfied"])
            #expect(unknown == .notFound)
            let rating = try #require(await repository.events.first { $0.envelope.type == ComplaintRated.eventType })
            let text = String(decoding: try rating.envelope.encoded(), as: UTF8.self)
            #expect(try rating.envelope.payload(as: ComplaintRated.self).rating == .dissatisfied && !text.contains("调查不充分"), "no comment text in the event")
        }
    }
}
