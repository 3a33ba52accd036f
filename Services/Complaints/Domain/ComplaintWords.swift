// The complaints' codes in the hall's words: shown on the pages and in the refusals' Chinese messages.

import HallContracts

extension ComplaintCategory {
    /// The category in the complainant's words.
    var words: String {
        switch self {
        case .attitude: "服务态度"
        case .efficiency: "办事效率、拖延"
        case .quality: "服务质量"
        case .feeNotPerStandard: "未按标准收费"
        case .acceptedOutsideHall: "在大厅外受理事项"
        case .duties: "不履行或不正确履行职责"
        case .disciplineOrLaw: "违纪违法"
        }
    }
}

extension ComplaintStatus {
    var words: String {
        switch self {
        case .filed: "已登记，待受理"
        case .notAccepted: "不予受理"
        case .investigating: "调查中"
        case .referred: "已转部门调查"
        case .concluded: "已作出结论"
        case .sanctionDecided: "已决定处理"
        case .replied: "已答复"
        case .underReview: "复查中"
        case .closed: "已办结"
        }
    }
}

extension ComplaintFinding {
    var words: String {
        switch self {
        case .substantiated: "属实"
        case .partlySubstantiated: "部分属实"
        case .unsubstantiated: "不属实"
        }
    }
}

extension SanctionKind {
    var words: String {
        switch self {
        case .correctionOrder: "责令纠正"
        case .efficiencyWarning: "行政效能告诫"
        case .publicCriticism: "通报批评"
        case .removal: "调离窗口岗位"
        case .referralToSupervisoryOrgan: "移送监察机关"
        }
    }
}
