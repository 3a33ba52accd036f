import Foundation
import HallKit
import Testing

@testable import intake

/// The case-status record as `case_status_record` writes it (PostgreSQL's spacing, instants as
/// microseconds since 2000) is read member by member: what an applicant's page and the JSON status
/// show comes from here.
@Suite("A case's status record read from the database's JSON")
struct CaseRecordTests {
    static let record = """
        {"case_id" : "9f48ff4c-5167-4c2b-8df8-223c7faeb5f6", "item_code" : "MKT-001", "status" : "completed", "notice_number" : "2026-003787", \
        "department_id" : "d-market", "created_at" : 849963748448865, "accepted_at" : 849963748441406, "due_date" : "2026-12-14", \
        "due_provisional" : true, "refusal_reason" : null, "competent_authority" : "县税务局", "bundle_id" : "B-1", "item_version" : 3, \
        "outcome" : "approved", "completed_at" : 849963800000000, "final_due_date" : "2026-12-16", "on_time" : true, \
        "handed_over_at" : 849963900000000, "collected_by_agent" : "s-9", "ready_at" : 849963850000000, "corrections" : ["营业执照 \\"副本\\""], \
        "promised" : [{"material_id" : "m-1", "due_by" : "2026-12-10", "delivered_at" : 849963760000000, "received_by" : "clerk-1"}], \
        "supplements" : [{"department_id" : "d-tax", "material" : "章程", "needed" : "签字页", "requested_at" : 849963770000000, "supplied_at" : null, "supplied_by_agent" : null}], \
        "changes" : [{"from" : "2026-12-14", "to" : "2026-12-16", "reason" : "延期", "changed_at" : 849963780000000}], \
        "fee" : {"payment_reference" : "P-1", "recorded_at" : 849963790000000}, \
        "documents" : [{"kind" : "acceptance-notice", "department_id" : "d-market", "imprint_id" : "0B2A8C7E-1F4D-4E55-9C39-7A6F2D1E0C11", \
        "sealed_at" : 849963749000000, "seal_refusal" : null, "number" : "SL-1", "created_at" : 849963748448865, "text" : "受理通知书\\nnotice: 2026-003787"}, \n \
        {"kind" : "correction-notice", "department_id" : "d-market", "imprint_id" : null, "sealed_at" : null, "seal_refusal" : null, "number" : "BZ-1", "created_at" : 849963740000000, "text" : null}], \
        "green" : {"reason" : "重点项目", "reference" : "G-1", "approved_by" : "s-1", "approved_at" : 849963741000000, "recorded_by" : "s-2", "recorded_at" : 849963742000000}, \
        "agents" : [{"agent_id" : "s-9", "name" : "李四", "entrustment_reference" : "E-1", "assigned_at" : 849963743000000, "ended_at" : null, "reason" : null}], \
        "timeline" : [{"at" : 849963775000000, "event" : "countersigned", "department_id" : "d-tax", "detail" : null}], "added_later" : {"x" : [1, 2]}}
        """

    @Test("every member is read: scalars, instants, lists, the fee, documents with their texts and imprints; a member added later is skipped")
    func everyMember() throws {
        let record = try CaseRecord(json: Self.record)
        #expect(record.itemCode == "MKT-001" && record.status == "completed" && record.noticeNumber == "2026-003787")
        #expect(record.dueProvisional == true && record.refusalReason == nil && record.competentAuthority == "县税务局" && record.itemVersion == 3)
        #expect(record.acceptedAt?.date == Date(timeIntervalSince1970: 946_684_800 + 849_963_748.441406))
        #expect(record.corrections == ["营业执照 \"副本\""])
        #expect(record.promised?.first?.receivedBy == "clerk-1" && record.supplements?.first?.suppliedAt == nil)
        #expect(record.changes?.first?.to == "2026-12-16" && record.fee?.paymentReference == "P-1" && record.green?.reference == "G-1")
        #expect(record.agents?.first?.name == "李四" && record.timeline?.first?.event == "countersigned")
        #expect(record.documents?.map(\.kind) == ["acceptance-notice", "correction-notice"])
        #expect(record.documents?.first?.imprintId == UUID(uuidString: "0B2A8C7E-1F4D-4E55-9C39-7A6F2D1E0C11"))
        #expect(record.documents?.first?.text == "受理通知书\nnotice: 2026-003787" && record.documents?.last?.text == nil)
        // The timeline the record shows by itself, oldest first.
        #expect(record.events.map(\.event) == [
            "correction-notified", "accepted", "sealed", "promised-material-brought", "supplement-requested", "countersigned", "fee-paid",
            "completed", "ready", "handed-over",
        ])
    }

    @Test("a record without its item or status, with a member of the wrong kind, or cut short is refused")
    func refused() {
        for json in [
            #"{"status" : "accepted"}"#, #"{"item_code" : "MKT-001", "status" : null}"#,
            #"{"item_code" : "MKT-001", "status" : "accepted", "item_version" : "3"}"#,
            #"{"item_code" : "MKT-001", "status" : "accepted", "documents" : [{"kind" : "x", "imprint_id" : "not-a-uuid"}]}"#,
            #"{"item_code" : "MKT-001", "status" : "accepted", "accepted_at" : 1.5}"#,
            String(Self.record.dropLast()),
        ] {
            #expect(throws: JSONReader.Malformed.self, "\(json)") { try CaseRecord(json: json) }
        }
    }
}
