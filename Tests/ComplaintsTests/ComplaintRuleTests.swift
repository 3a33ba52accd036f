import Foundation
import HallContracts
import HallKit
import Testing

@testable import complaints

@Suite("complaints: the rules without a database")
struct ComplaintRuleTests {
    @Test("discipline and law go to the discipline room's queue, everything else to the centre's", arguments: ComplaintCategory.allCases)
    func routing(category: ComplaintCategory) {
        let queue = ComplaintQueue(for: category)
        #expect(queue == (category == .disciplineOrLaw ? .discipline : .centre))
        #expect(queue.role == (category == .disciplineOrLaw ? .disciplineInspector : .complaintsHandler))
    }

    @Test("the lifecycle: filed → accepted or not → concluded once → replied → closed; anything else is refused naming the rule")
    func lifecycle() throws {
        #expect(try ComplaintStep.accept.next(from: .filed) == .investigating)
        #expect(try ComplaintStep.notAccept(reason: "不属于本中心受理范围").next(from: .filed) == .notAccepted)
        #expect(try ComplaintStep.conclude(.substantiated, findings: "窗口人员态度生硬属实").next(from: .investigating) == .concluded)
        #expect(try ComplaintStep.reply("已责令整改").next(from: .concluded) == .replied)
        #expect(try ComplaintStep.reply("不予受理，理由如上").next(from: .notAccepted) == .replied)
        #expect(try ComplaintStep.close.next(from: .replied) == .closed)

        #expect(throws: HallError.self) { try ComplaintStep.conclude(.substantiated, findings: "x").next(from: .filed) }
        #expect(throws: HallError.self) { try ComplaintStep.conclude(.unsubstantiated, findings: "x").next(from: .concluded) }
        #expect(throws: HallError.self) { try ComplaintStep.reply("x").next(from: .closed) }
        #expect(throws: HallError.self) { try ComplaintStep.close.next(from: .investigating) }
        #expect(throws: HallError.self) { try ComplaintStep.accept.next(from: .investigating) }
        // What the rule says is required is named.
        let blank = try #require(throws: HallError.self) { try ComplaintStep.notAccept(reason: "  ").next(from: .filed) }
        #expect(blank.field == "reason")
        let noFindings = try #require(throws: HallError.self) { try ComplaintStep.conclude(.partlySubstantiated, findings: "").next(from: .investigating) }
        #expect(noFindings.field == "findings")
    }

    @Test("a filing names who complains unless anonymous, says what happened, and stays within its limits")
    func filing() throws {
        func field(_ filing: ComplaintFiling) -> String? {
            do { try filing.validate() } catch let error as HallError { return error.field } catch { return "?" }
            return nil
        }
        let valid = ComplaintFiling(
            category: .attitude, targetKind: .window, targetId: "w-01", receiptCode: nil, anonymous: nil, complainantName: "王敏",
            complainantContact: "13900000000", content: "窗口人员态度生硬")
        #expect(field(valid) == nil)
        var anonymous = valid
        (anonymous.anonymous, anonymous.complainantName, anonymous.complainantContact) = (true, nil, nil)
        #expect(field(anonymous) == nil)
        var nameless = valid
        nameless.complainantName = " "
        #expect(field(nameless) == "complainantName")
        var unreachable = valid
        unreachable.complainantContact = nil
        #expect(field(unreachable) == "complainantContact")
        var empty = valid
        empty.content = "\n "
        #expect(field(empty) == "content")
        var long = valid
        long.content = String(repeating: "长", count: ComplaintFiling.maximumContent + 1)
        #expect(field(long) == "content")
        var noTarget = valid
        noTarget.targetId = ""
        #expect(field(noTarget) == "targetId")
    }

    @Test("tracking codes: T and 12 characters without look-alikes, never the same twice in 10,000")
    func trackingCodes() {
        let codes = (0..<10_000).map { _ in TrackingCode.make() }
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy(TrackingCode.isWellFormed))
        #expect(!TrackingCode.isWellFormed("T0000000000O1"))
        #expect(!TrackingCode.isWellFormed("' OR 1=1 --"))
    }
}
