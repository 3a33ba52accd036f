import Foundation
import HallCalendar
import HallKit

/// The words the pages show for the hall's codes: one vocabulary for the front desk, the
/// departments and the public (the codes are the APIs'; the words are the regulation's).
public enum Words {
    // Each vocabulary is a dictionary made once: a literal in the function was built and hashed
    // at every call, dozens of times a page.
    /// A case's status.
    public static func status(_ code: String) -> String { statusWords[code] ?? code }
    private static let statusWords: [String: String] = [
        "accepted": "已受理", "refused": "不予受理", "awaiting-correction": "待补正", "held": "待同批补正",
        "awaiting-supplement": "待补充材料", "suspended": "暂停计时", "decided": "已作出决定", "completed": "已办结",
        "ready": "待领取", "issued": "已领取", "in-progress": "办理中", "not-started": "未开始", "opinion-given": "已出具意见",
        "open": "办理中", "countersigned": "已会签", "escalated": "已督办", "cancelled": "已撤销",
    ]

    /// A step of a case's timeline.
    public static func event(_ code: String) -> String { eventWords[code] ?? code }
    private static let eventWords: [String: String] = [
        "accepted": "受理", "refused": "不予受理", "correction-notified": "一次性告知补正", "opinion-given": "部门出具意见",
        "countersigned": "首席代表会签", "supplement-requested": "要求补充材料", "supplement-brought": "补充材料已送达",
        "suspended": "暂停计时", "resumed": "恢复计时", "extended": "延长办理时限", "recalculated": "重新计算期限", "sealed": "加盖审批专用章",
        "promised-material-brought": "容缺材料已补交", "completed": "办结", "ready": "结果可领取", "fee-paid": "已缴费", "handed-over": "结果已领取",
    ]

    /// A notice or decision.
    public static func document(_ code: String) -> String { documentWords[code] ?? code }
    private static let documentWords: [String: String] = [
        "acceptance-notice": "受理通知书", "refusal-notice": "不予受理通知书", "approval-decision": "准予许可决定书",
        "denial-decision": "不予许可决定书", "correction-notice": "一次性告知通知书",
    ]

    /// An item's kind (Art 30).
    public static func itemKind(_ code: String) -> String { itemKindWords[code] ?? code }
    private static let itemKindWords: [String: String] = ["immediate": "即办件", "committed": "承诺件", "joint": "联办件"]

    /// A step whose time is not counted in the limit (ALL Art 45).
    public static func notCounted(_ code: String) -> String { notCountedWords[code] ?? code }
    private static let notCountedWords: [String: String] = [
        "hearing": "听证", "tender": "招标", "auction": "拍卖", "inspection": "检验", "testing": "检测", "quarantine": "检疫",
        "appraisal": "鉴定", "expert-review": "专家评审",
    ]

    /// A material's form.
    public static func materialForm(_ code: String) -> String { materialFormWords[code] ?? code }
    private static let materialFormWords: [String: String] = ["original": "原件", "copy": "复印件", "original-and-copy": "原件及复印件"]

    /// A department's decision.
    public static func decision(_ code: String) -> String { decisionWords[code] ?? code }
    private static let decisionWords: [String: String] = ["approve": "同意", "deny": "不同意", "needs-supplement": "需补充材料", "approved": "准予", "denied": "不予"]

    /// A timeline step's detail: a decision or a document named by its code, in words; other text as it is.
    public static func detail(_ text: String) -> String {
        let decided = decision(text)
        if decided != text { return decided }
        return document(text)
    }

    /// A moment as the hall reads it (Beijing time): `2026年12月6日 19:09`, with seconds if asked.
    ///
    /// Counted from the hall's calendar day and the seconds since its start: a page lists dozens of
    /// moments, and a `DateFormatter` made for each cost more than the rest of the page.
    public static func time(_ date: Date, seconds: Bool = false) -> String {
        let day = LocalDate.inHall(date)
        let since = Int(date.timeIntervalSince(day.startInstant).rounded(.down))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(day.year)年\(day.month)月\(day.day)日 \(two(since / 3600)):\(two(since / 60 % 60))" + (seconds ? ":\(two(since % 60))" : "")
    }

    /// An amount of money in cents, as yuan.
    public static func yuan(_ cents: Int64) -> String {
        let fen = cents % 100
        return "¥\(cents / 100)." + (fen < 10 ? "0\(fen)" : "\(fen)")
    }

    /// A form or API field in the hall's words, for the error pages ("涉及：理由（reason）").
    public static func field(_ name: String) -> String? {
        fieldWords[name.split(separator: "[").first.map(String.init) ?? name]
    }
    private static let fieldWords: [String: String] = [
        "reason": "理由", "note": "说明", "name": "姓名或名称", "receiptCode": "受理编号", "idNumber": "身份证件号码", "applicant.idNumber": "申请人身份证件号码",
        "applicant.kind": "申请人类型", "itemCode": "事项编码", "departmentId": "部门", "departmentIds": "部门", "windowId": "窗口", "staffId": "工作人员",
        "targetId": "投诉对象", "category": "类别", "content": "内容", "comment": "意见", "decision": "决定", "opinion": "审查意见", "reasons": "理由",
        "materials": "材料", "amountCents": "金额", "fee.amountCents": "收费金额", "paymentReference": "缴款凭证号", "documentHash": "文书摘要",
        "imprintId": "印章记录编号", "slot": "预约时段", "day": "日期", "period": "考核期", "start": "起始日", "from": "开始日期", "to": "结束日期", "section": "表格",
        "conduct": "思想品德分", "skills": "业务技能分", "finding": "调查结论", "findings": "查明的事实", "reply": "答复", "instructions": "调查要求",
        "kind": "类型", "subjectKind": "处理对象", "subjectId": "处理对象编号", "sanctions": "处理", "level": "评价等级", "ratingId": "评价",
        "complaintId": "投诉", "trackingCode": "查询码", "taskId": "任务", "caseId": "办件", "csrf": "表单校验码", "code": "编码", "year": "年份",
        "workingDays": "工作日数", "promisedLimitDays": "承诺时限", "legalLimitDays": "法定时限", "contact": "联系方式", "complainantName": "投诉人姓名",
        "complainantContact": "投诉人联系方式", "id": "编号", "action": "操作",
    ]
}

extension HallError {
    /// What a page says of this error: the hall's words for it when it has them (the API's message
    /// otherwise), and the field it concerns, in words and by name.
    public var pageText: String {
        let text = words ?? message
        guard let field else { return text }
        return "\(text)（\(Words.field(field).map { "\($0) " } ?? "")\(field)）"
    }
}
