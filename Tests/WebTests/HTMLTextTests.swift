import Mustache
import Testing

@testable import HallWeb

/// The pages escape what they show exactly as swift-mustache's own HTML content type does, only
/// faster: a value can never open a tag, an attribute or an entity.
@Suite("Text shown on a page is escaped for HTML")
struct HTMLTextTests {
    @Test("every value reads as the library's own escaping gives it: < > & \" ' escaped, everything else as it was")
    func sameAsTheLibrary() throws {
        HTMLText.register()
        let library = try MustacheTemplate(string: "{{value}}")
        let ours = try MustacheTemplate(string: HTMLText.pragma + "{{value}}")
        let values = [
            "", "县市场监督管理局 受理通知书 2026-000001", "<script>alert('x')</script>", #"a "quoted" & 'single' <b>"#,
            "&amp; already", "emoji 👩‍👩‍👧 and é", String(repeating: "材料<>", count: 200),
        ]
        for value in values {
            #expect(ours.render(["value": value]) == library.render(["value": value]), "\(value)")
        }
        #expect(HTMLText.escaped(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }
}
