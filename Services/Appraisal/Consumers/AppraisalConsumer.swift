import HallContracts
import HallKit

/// The appraisal service's consumer (group `hall.appraisal`): the directory from `hall.intake.events`.
///
/// Everything is applied through the inbox (a redelivered event changes nothing); intake events
/// the service does not route are ignored.
enum AppraisalConsumer {
    static func definition() -> ConsumerDefinition {
        var router = EventRouter()
        DirectoryProjection.register(on: &router)
        return ConsumerDefinition(groupId: ServiceName.appraisal.defaultConsumerGroup, topics: [.intakeEvents], handler: router)
    }
}
