import Foundation
import Testing

@testable import HallWeb
@testable import intake

/// The case-status page's views hand the template their fields themselves (no `Mirror`); a field
/// added to a view and not listed would silently vanish from the page, so each lists exactly its
/// stored properties, under their names.
@Suite("The case-status page's views list their own fields")
struct PageFieldsTests {
    static func listsItsProperties(_ view: some TemplateFields) -> Bool {
        let listed = view.templateFields.map(\.0)
        let properties = Mirror(reflecting: view).children.compactMap(\.label)
        return listed.count == Set(listed).count && Set(listed) == Set(properties)
    }

    @Test("the case, its steps, departments and documents, the page and the layout around them")
    func everyPropertyListed() throws {
        let status = try JSONDecoder().decode(
            CaseStatus.self,
            from: Data(#"{"receiptCode":"R-1","itemCode":"MKT-001","status":"accepted","awaiting":["营业执照"],"timeline":[]}"#.utf8))
        let document = DocumentView(
            kind: "acceptance-notice", text: "受理通知书", sha256: String(repeating: "a", count: 64), status: nil, departmentName: "县市场监督管理局",
            sealURL: "http://seal.example")
        var view = CaseView(status, departments: [:], documents: [document])
        view.timeline = [CaseView.Step(at: "2026-12-04 09:00", event: "受理", department: "县市场监督管理局", detail: "SL-1")]
        view.departments = [CaseView.Department(name: "县市场监督管理局", role: "牵头", status: "办理中")]
        #expect(Self.listsItsProperties(view))
        #expect(Self.listsItsProperties(view.timeline[0]))
        #expect(Self.listsItsProperties(view.departments[0]))
        #expect(Self.listsItsProperties(document))
        #expect(Self.listsItsProperties(TrackPage(receiptCode: "R-1", problem: nil, found: view)))
        // What they list is what they hold: the template reads the same values.
        let fields = Dictionary(uniqueKeysWithValues: document.templateFields.map { ($0.0, $0.1) })
        #expect(fields["verifyURL"] as? String == "http://seal.example/verify?documentHash=\(String(repeating: "a", count: 64))")
        #expect((fields["qr"] as? String)?.hasPrefix("<svg") == true)
        #expect(fields["number"]! == nil)
        #expect(Self.listsItsProperties(PageRenderer.Site(title: "办件查询", serviceTitle: "前台受理", css: "/a.css", js: "/a.js", viewer: nil, csrf: nil)))
    }
}
