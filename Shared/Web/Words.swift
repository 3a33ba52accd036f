import Foundation

/// The words the pages show for the hall's codes: one vocabulary for the front desk, the
/// departments and the public (the codes are the APIs'; the words are the regulation's).
public enum Words {
    /// A case's status.
    public static func status(_ code: String) -> String {
        [
            "accepted": "已受理", "refused": "不予受理", "awaiting-correction": "待补正", "held": "待同批补正",
            "awaiting-supplement": "待补充材料", "suspended": "暂停计时", "decided": "已作出决定", "completed": "已办结",
            "ready": "待领取", "issued": "已领取", "in-progress": "办理中", "not-started": "未开始", "opinion-given": "已出具意见",
            "open": "办理中", "countersigned": "已会签", "escalated": "已督办", "cancelled": "已撤销",
        ][code] ?? code
    }

    /// A step of a case's timeline.
    public static func event(_ code: String) -> String {
        [
            "accepted": "受理", "refused": "不予受理", "correction-notified": "一次性告知补正", "opinion-given": "部门出具意见",
            "countersigned": "首席代表会签", "supplement-requested": "要求补充材料", "supplement-brought": "补充材料已送达",
            "suspended": "暂停计时", "resumed": "恢复计时", "extended": "延长办理时限", "recalculated": "重新计算期限", "sealed": "加盖审批专用章",
            "promised-material-brought": "容缺材料已补交", "completed": "办结", "ready": "结果可领取", "fee-paid": "已缴费", "handed-over": "结果已领取",
        ][code] ?? code
    }

    /// A notice or decision.
    public static func document(_ code: String) -> String {
        [
            "acceptance-notice": "受理通知书", "refusal-notice": "不予受理通知书", "approval-decision": "准予许可决定书",
            "denial-decision": "不予许可决定书", "correction-notice": "一次性告知通知书",
        ][code] ?? code
    }

    /// An item's kind (Art 30).
    public static func itemKind(_ code: String) -> String {
        ["immediate": "即办件", "committed": "承诺件", "joint": "联办件"][code] ?? code
    }

    /// A step whose time is not counted in the limit (ALL Art 45).
    public static func notCounted(_ code: String) -> String {
        [
            "hearing": "听证", "tender": "招标", "auction": "拍卖", "inspection": "检验", "testing": "检测", "quarantine": "检疫",
            "appraisal": "鉴定", "expert-review": "专家评审",
        ][code] ?? code
    }

    /// A material's form.
    public static func materialForm(_ code: String) -> String {
        ["original": "原件", "copy": "复印件", "original-and-copy": "原件及复印件"][code] ?? code
    }

    /// A department's decision.
    public static func decision(_ code: String) -> String {
        ["approve": "同意", "deny": "不同意", "needs-supplement": "需补充材料", "approved": "准予", "denied": "不予"][code] ?? code
    }

    /// A timeline step's detail: a decision or a document named by its code, in words; other text as it is.
    public static func detail(_ text: String) -> String {
        let decided = decision(text)
        if decided != text { return decided }
        return document(text)
    }

    /// A moment as the hall reads it (Beijing time): `2026年12月6日 19:09`, with seconds if asked.
    public static func time(_ date: Date, seconds: Bool = false) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "zh_CN")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = seconds ? "yyyy年M月d日 HH:mm:ss" : "yyyy年M月d日 HH:mm"
        return formatter.string(from: date)
    }

    /// An amount of money in cents, as yuan.
    public static func yuan(_ cents: Int64) -> String {
        let fen = cents % 100
        return "¥\(cents / 100)." + (fen < 10 ? "0\(fen)" : "\(fen)")
    }
}
